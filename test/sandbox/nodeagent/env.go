package main

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// expandVars replaces $(NAME) with the value of NAME when defined, and $$ with $, as the kubelet does for
// command, args and env values; unknown references stay as written.
func expandVars(s string, vars map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteByte('$')
				continue
			}
			name := s[i+2 : i+2+end]
			if v, ok := vars[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

func fieldValue(pod *corev1.Pod, nodeIP, podIP, fieldPath string) (string, error) {
	switch fieldPath {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.hostIP":
		return nodeIP, nil
	case "status.podIP":
		return podIP, nil
	}
	for _, m := range []struct {
		prefix string
		from   map[string]string
	}{{"metadata.labels['", pod.Labels}, {"metadata.annotations['", pod.Annotations}} {
		if strings.HasPrefix(fieldPath, m.prefix) && strings.HasSuffix(fieldPath, "']") {
			return m.from[strings.TrimSuffix(strings.TrimPrefix(fieldPath, m.prefix), "']")], nil
		}
	}
	return "", fmt.Errorf("unsupported fieldRef %q", fieldPath)
}

// containerEnv is the environment of a container's processes (and of exec into it), as KEY=VALUE.
func containerEnv(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod, c *corev1.Container, nodeIP, podIP, binDir string) ([]string, error) {
	vars := map[string]string{"HOSTNAME": podHostname(pod)}
	order := []string{"HOSTNAME"}
	set := func(k, v string) {
		if _, ok := vars[k]; !ok {
			order = append(order, k)
		}
		vars[k] = v
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			set(e.Name, expandVars(e.Value, vars))
			continue
		}
		var v string
		var err error
		switch {
		case e.ValueFrom.FieldRef != nil:
			v, err = fieldValue(pod, nodeIP, podIP, e.ValueFrom.FieldRef.FieldPath)
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			var s *corev1.Secret
			if s, err = client.CoreV1().Secrets(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{}); err == nil {
				v = string(s.Data[ref.Key])
			}
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			var cm *corev1.ConfigMap
			if cm, err = client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{}); err == nil {
				v = cm.Data[ref.Key]
			}
		default:
			err = fmt.Errorf("unsupported valueFrom for %s", e.Name)
		}
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", e.Name, err)
		}
		set(e.Name, v)
	}
	path := podPath(binDir)
	if p, ok := vars["PATH"]; ok && p != "" {
		path = p
		if binDir != "" {
			path = binDir + ":" + p
		}
	}
	set("PATH", path)
	env := make([]string, 0, len(order))
	for _, k := range order {
		env = append(env, k+"="+vars[k])
	}
	return env, nil
}

// containerCommand is command+args with $(VAR) references expanded from the container's env.
func containerCommand(c *corev1.Container, env []string) ([]string, error) {
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	var argv []string
	for _, s := range append(append([]string{}, c.Command...), c.Args...) {
		argv = append(argv, expandVars(s, vars))
	}
	if len(argv) == 0 {
		return nil, fmt.Errorf("container %s has no command: the sandbox runs host binaries, not images", c.Name)
	}
	return argv, nil
}
