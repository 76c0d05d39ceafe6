package main

import (
	"context"
	"log"
	"runtime"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

const kubeletVersion = "v1.34.4"

const heartbeatPeriod = 10 * time.Second

func nodeObject(cfg config) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: cfg.node,
			Labels: map[string]string{
				"node-role.kubernetes.io/master":        "",
				"node-role.kubernetes.io/control-plane": "",
				"kubernetes.io/hostname":                cfg.node,
				"kubernetes.io/os":                      "linux",
				"kubernetes.io/arch":                    runtime.GOARCH,
				"beta.kubernetes.io/os":                 "linux",
				"beta.kubernetes.io/arch":               runtime.GOARCH,
			},
		},
	}
}

func nodeStatus(cfg config, start time.Time) corev1.NodeStatus {
	now := metav1.Now()
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("4"),
		corev1.ResourceMemory: resource.MustParse("16Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: s, Reason: reason, Message: msg,
			LastHeartbeatTime: now, LastTransitionTime: metav1.NewTime(start)}
	}
	return corev1.NodeStatus{
		Capacity:    capacity,
		Allocatable: capacity,
		Phase:       corev1.NodeRunning,
		Conditions: []corev1.NodeCondition{
			cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
			cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
			cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
			cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "sandbox node agent is posting ready status"),
		},
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: cfg.nodeIP},
			{Type: corev1.NodeHostName, Address: cfg.node},
		},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(cfg.port)}},
		NodeInfo: corev1.NodeSystemInfo{
			MachineID:               "sandbox-" + cfg.node,
			SystemUUID:              "sandbox-" + cfg.node,
			BootID:                  "sandbox-" + cfg.node,
			KernelVersion:           "sandbox",
			OSImage:                 "etcd Profiler sandbox",
			ContainerRuntimeVersion: "sandbox://1.0.0",
			KubeletVersion:          kubeletVersion,
			OperatingSystem:         "linux",
			Architecture:            runtime.GOARCH,
		},
	}
}

var agentStart = time.Now()

// registerNode creates the Node (or takes over an existing one of the same name) and posts its status.
func registerNode(ctx context.Context, client kubernetes.Interface, cfg config) error {
	nodes := client.CoreV1().Nodes()
	n := nodeObject(cfg)
	n.Status = nodeStatus(cfg, agentStart)
	for {
		_, err := nodes.Create(ctx, n, metav1.CreateOptions{})
		if err == nil || apierrors.IsAlreadyExists(err) {
			break
		}
		log.Printf("create node: %v (retrying)", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := nodes.Get(ctx, cfg.node, metav1.GetOptions{})
		if err != nil {
			return err
		}
		want := nodeObject(cfg)
		if cur.Labels == nil {
			cur.Labels = map[string]string{}
		}
		changed := false
		for k, v := range want.Labels {
			if old, ok := cur.Labels[k]; !ok || old != v {
				cur.Labels[k] = v
				changed = true
			}
		}
		if changed {
			if cur, err = nodes.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
				return err
			}
		}
		cur.Status = nodeStatus(cfg, agentStart)
		_, err = nodes.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
}

func heartbeat(ctx context.Context, client kubernetes.Interface, cfg config) {
	t := time.NewTicker(heartbeatPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cur, err := client.CoreV1().Nodes().Get(ctx, cfg.node, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return registerNode(ctx, client, cfg)
			}
			if err != nil {
				return err
			}
			cur.Status = nodeStatus(cfg, agentStart)
			_, err = client.CoreV1().Nodes().UpdateStatus(ctx, cur, metav1.UpdateOptions{})
			return err
		})
		if err != nil && ctx.Err() == nil {
			log.Printf("node heartbeat: %v", err)
		}
	}
}
