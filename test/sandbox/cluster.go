package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// The namespaces and pods of the sandbox, named as on OpenShift.
const (
	EtcdNamespace     = "openshift-etcd"
	OperatorNamespace = "openshift-etcd-operator"
	// OperatorCommand is the operator stand-in's name in the bin dir, as the real binary is called.
	OperatorCommand = "cluster-etcd-operator"
)

// PodRef names a pod and its node, as in info.json.
type PodRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Node      string `json:"node"`
}

// Cluster creates the sandbox's API objects: what an OpenShift control plane would have for etcd.
type Cluster struct {
	Client    kubernetes.Interface
	Nodes     []Node
	EtcdCerts *EtcdCerts
	// OperatorPod is the operator pod's name, etcd-operator-<10 hex>-<5 alnum> like a Deployment's pod.
	OperatorPod string
}

// NewOperatorPodName makes a name shaped like a Deployment's pod name.
func NewOperatorPodName() string {
	const hex, alnum = "0123456789abcdef", "bcdfghjklmnpqrstvwxz2456789"
	pick := func(set string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = set[rand.IntN(len(set))]
		}
		return string(b)
	}
	return "etcd-operator-" + pick(hex, 10) + "-" + pick(alnum, 5)
}

// Pods lists the pods the sandbox runs.
func (c *Cluster) Pods() []PodRef {
	var pods []PodRef
	for _, n := range c.Nodes {
		pods = append(pods, PodRef{EtcdNamespace, "etcd-" + n.Name, n.Name})
	}
	return append(pods, PodRef{OperatorNamespace, c.OperatorPod, c.Nodes[0].Name})
}

// CreateObjects creates namespaces, service accounts, RBAC, secrets and configmaps.
func (c *Cluster) CreateObjects(ctx context.Context) error {
	for _, ns := range []string{EtcdNamespace, OperatorNamespace} {
		if err := create(ctx, c.Client.CoreV1().Namespaces().Create, &corev1.Namespace{ObjectMeta: meta("", ns, nil)}); err != nil {
			return err
		}
		// no controller-manager: the default service account is made here (pods don't mount its token)
		if err := create(ctx, c.Client.CoreV1().ServiceAccounts(ns).Create, &corev1.ServiceAccount{ObjectMeta: meta(ns, "default", nil)}); err != nil {
			return err
		}
	}
	if err := c.createRBAC(ctx); err != nil {
		return err
	}
	secrets := []*corev1.Secret{
		{ObjectMeta: meta(EtcdNamespace, "etcd-all-certs", nil), Type: corev1.SecretTypeOpaque, Data: c.EtcdCerts.AllCerts()},
		{ObjectMeta: meta(EtcdNamespace, "etcd-client", nil), Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{"tls.crt": c.EtcdCerts.Client.CertPEM, "tls.key": c.EtcdCerts.Client.KeyPEM}},
	}
	for _, s := range secrets {
		if err := create(ctx, c.Client.CoreV1().Secrets(EtcdNamespace).Create, s); err != nil {
			return err
		}
	}
	for _, name := range []string{"etcd-ca-bundle", "etcd-serving-ca", "etcd-peer-client-ca"} {
		cm := &corev1.ConfigMap{ObjectMeta: meta(EtcdNamespace, name, nil), Data: map[string]string{"ca-bundle.crt": string(c.EtcdCerts.CA.CertPEM)}}
		if err := create(ctx, c.Client.CoreV1().ConfigMaps(EtcdNamespace).Create, cm); err != nil {
			return err
		}
	}
	return nil
}

// createRBAC gives the restricted user what a support engineer without cluster-admin typically has:
// in openshift-etcd it can read pods, logs and configmaps and exec, but not read secrets nor port-forward;
// in openshift-etcd-operator it can port-forward and exec; cluster-wide it can list namespaces and nodes.
func (c *Cluster) createRBAC(ctx context.Context) error {
	rules := map[string][]rbacv1.PolicyRule{
		EtcdNamespace: {
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
			{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create", "get"}},
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list"}},
		},
		OperatorNamespace: {
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
			// kubectl's websocket port-forward and exec are GET requests, SPDY ones are POST (create)
			{APIGroups: []string{""}, Resources: []string{"pods/portforward"}, Verbs: []string{"create", "get"}},
			{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create", "get"}},
		},
	}
	subject := []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: RestrictedUser}}
	for _, ns := range []string{EtcdNamespace, OperatorNamespace} {
		role := &rbacv1.Role{ObjectMeta: meta(ns, "etcd-profiler-restricted", nil), Rules: rules[ns]}
		if err := create(ctx, c.Client.RbacV1().Roles(ns).Create, role); err != nil {
			return err
		}
		binding := &rbacv1.RoleBinding{ObjectMeta: meta(ns, "etcd-profiler-restricted", nil), Subjects: subject,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name}}
		if err := create(ctx, c.Client.RbacV1().RoleBindings(ns).Create, binding); err != nil {
			return err
		}
	}
	clusterRole := &rbacv1.ClusterRole{ObjectMeta: meta("", "etcd-profiler-restricted", nil), Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"namespaces", "nodes"}, Verbs: []string{"get", "list", "watch"}},
	}}
	if err := create(ctx, c.Client.RbacV1().ClusterRoles().Create, clusterRole); err != nil {
		return err
	}
	return create(ctx, c.Client.RbacV1().ClusterRoleBindings().Create, &rbacv1.ClusterRoleBinding{
		ObjectMeta: meta("", "etcd-profiler-restricted", nil), Subjects: subject,
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole.Name}})
}

// CreatePods creates the three etcd members and the operator, bound to their nodes.
func (c *Cluster) CreatePods(ctx context.Context) error {
	for _, n := range c.Nodes {
		if err := create(ctx, c.Client.CoreV1().Pods(EtcdNamespace).Create, etcdMemberPod(n, c.Nodes)); err != nil {
			return err
		}
	}
	return create(ctx, c.Client.CoreV1().Pods(OperatorNamespace).Create, operatorPod(c.OperatorPod, c.Nodes[0].Name))
}

// WaitPodsReady polls until every pod of the sandbox is Running and Ready, reporting changes to progress.
func (c *Cluster) WaitPodsReady(ctx context.Context, timeout time.Duration, progress func(string)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	want := c.Pods()
	last := ""
	for {
		var states []string
		ready := 0
		for _, ref := range want {
			state := "not found"
			pod, err := c.Client.CoreV1().Pods(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
			if err == nil {
				state = podState(pod)
			} else if !apierrors.IsNotFound(err) {
				state = err.Error()
			}
			if state == "Ready" {
				ready++
			}
			states = append(states, ref.Name+": "+state)
		}
		sort.Strings(states)
		summary := fmt.Sprintf("pods ready %d/%d (%s)", ready, len(want), strings.Join(states, ", "))
		if summary != last {
			progress(summary)
			last = summary
		}
		if ready == len(want) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pods not ready after %s: %s", timeout, summary)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func podState(pod *corev1.Pod) string {
	if pod.Status.Phase != corev1.PodRunning {
		return string(pod.Status.Phase)
	}
	for _, cond := range pod.Status.Conditions {
		if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue {
			return "Ready"
		}
	}
	var notReady []string
	for _, cs := range pod.Status.ContainerStatuses {
		if !cs.Ready {
			notReady = append(notReady, fmt.Sprintf("%s restarts=%d", cs.Name, cs.RestartCount))
		}
	}
	return "Running, not ready: " + strings.Join(notReady, "; ")
}

// etcdMemberPod is openshift-etcd/etcd-<node>: the real member in container etcd, and the sidecars OpenShift
// runs next to it as light processes. The member reads ETCD_ENABLE_PPROF from its environment, which is
// how OpenShift turns on /debug/pprof.
func etcdMemberPod(n Node, all []Node) *corev1.Pod {
	var initial []string
	for _, m := range all {
		initial = append(initial, m.Name+"=https://"+m.IP+":2380")
	}
	certs := etcdCertsPodDir + "/secrets/etcd-all-certs/"
	command := []string{"etcd",
		"--name=" + n.Name,
		"--data-dir=/var/lib/etcd",
		"--listen-client-urls=https://0.0.0.0:2379",
		"--advertise-client-urls=https://" + n.IP + ":2379",
		"--listen-peer-urls=https://0.0.0.0:2380",
		"--initial-advertise-peer-urls=https://" + n.IP + ":2380",
		"--initial-cluster=" + strings.Join(initial, ","),
		"--initial-cluster-state=new",
		"--initial-cluster-token=etcd-profiler-sandbox",
		"--cert-file=" + certs + "etcd-serving-" + n.Name + ".crt",
		"--key-file=" + certs + "etcd-serving-" + n.Name + ".key",
		"--client-cert-auth",
		"--trusted-ca-file=" + etcdCertsPodDir + "/configmaps/etcd-serving-ca/ca-bundle.crt",
		"--peer-cert-file=" + certs + "etcd-peer-" + n.Name + ".crt",
		"--peer-key-file=" + certs + "etcd-peer-" + n.Name + ".key",
		"--peer-client-cert-auth",
		"--peer-trusted-ca-file=" + etcdCertsPodDir + "/configmaps/etcd-peer-client-ca/ca-bundle.crt",
	}
	mounts := []corev1.VolumeMount{
		{Name: "cert-dir", MountPath: etcdCertsPodDir},
		{Name: "data-dir", MountPath: "/var/lib/etcd"},
	}
	sidecar := func(name string) corev1.Container {
		return corev1.Container{Name: name, Image: "sandbox/etcd", Command: []string{"sleep", "infinity"},
			Env: []corev1.EnvVar{
				{Name: "ETCDCTL_API", Value: "3"},
				{Name: "ETCDCTL_CACERT", Value: etcdCertsPodDir + "/configmaps/etcd-serving-ca/ca-bundle.crt"},
				{Name: "ETCDCTL_CERT", Value: certs + "etcd-peer-" + n.Name + ".crt"},
				{Name: "ETCDCTL_KEY", Value: certs + "etcd-peer-" + n.Name + ".key"},
				{Name: "ETCDCTL_ENDPOINTS", Value: "https://" + n.IP + ":2379"},
			},
			VolumeMounts: mounts}
	}
	hostPathType := corev1.HostPathDirectory
	return &corev1.Pod{
		ObjectMeta: meta(EtcdNamespace, "etcd-"+n.Name, map[string]string{"app": "etcd", "etcd": "true", "k8s-app": "etcd", "revision": "1"}),
		Spec: corev1.PodSpec{
			NodeName:                      n.Name,
			HostNetwork:                   true,
			AutomountServiceAccountToken:  ptr(false),
			TerminationGracePeriodSeconds: ptr(int64(10)),
			Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{
				{Name: "etcd", Image: "sandbox/etcd", Command: command,
					Env: []corev1.EnvVar{
						{Name: "ETCD_ENABLE_PPROF", Value: "true"},
						{Name: "ETCDCTL_API", Value: "3"},
						{Name: "ALL_ETCD_ENDPOINTS", Value: endpoints(all)},
					},
					Ports: []corev1.ContainerPort{
						{Name: "etcd", ContainerPort: 2379, HostPort: 2379, Protocol: corev1.ProtocolTCP},
						{Name: "etcd-peer", ContainerPort: 2380, HostPort: 2380, Protocol: corev1.ProtocolTCP},
					},
					VolumeMounts: mounts},
				sidecar("etcdctl"),
				sidecar("etcd-metrics"),
				sidecar("etcd-readyz"),
			},
			Volumes: []corev1.Volume{
				{Name: "cert-dir", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: etcdCertsHostDir, Type: &hostPathType}}},
				{Name: "data-dir", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/lib/etcd", Type: &hostPathType}}},
			},
		},
	}
}

func endpoints(nodes []Node) string {
	var eps []string
	for _, n := range nodes {
		eps = append(eps, "https://"+n.IP+":2379")
	}
	return strings.Join(eps, ",")
}

// operatorPod runs the operator stand-in with its profiling endpoint on, in a network namespace of its own, and
// GOTRACEBACK=all so that POST /crash leaves a full traceback in the previous container's log.
func operatorPod(name, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: meta(OperatorNamespace, name, map[string]string{"app": "etcd-operator"}),
		Spec: corev1.PodSpec{
			NodeName:                      node,
			AutomountServiceAccountToken:  ptr(false),
			TerminationGracePeriodSeconds: ptr(int64(10)),
			Containers: []corev1.Container{{
				Name:    "etcd-operator",
				Image:   "sandbox/cluster-etcd-operator",
				Command: []string{OperatorCommand},
				// GOTRACEBACK=all: a crash writes every goroutine to the log, not just the failing one.
				Env: []corev1.EnvVar{{Name: "OPENSHIFT_PROFILE", Value: "web"}, {Name: "GOTRACEBACK", Value: "all"}},
			}},
		},
	}
}

func meta(namespace, name string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: labels}
}

func ptr[T any](v T) *T { return &v }

// create creates obj, accepting that it already exists.
func create[T any](ctx context.Context, fn func(context.Context, T, metav1.CreateOptions) (T, error), obj T) error {
	if _, err := fn(ctx, obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create %T: %w", obj, err)
	}
	return nil
}
