package main

import (
	"fmt"
	"log"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// statusLoop posts the pod status whenever something changed (coalescing bursts) until the pod terminates.
func (r *podRunner) statusLoop() {
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-r.kick:
		}
		if !sleepCtx(r.ctx, 100*time.Millisecond) {
			return
		}
		select {
		case <-r.kick:
		default:
		}
		if err := r.pushStatus(); err != nil && r.ctx.Err() == nil {
			log.Printf("pod %s/%s: status: %v", r.ns, r.name, err)
			time.AfterFunc(2*time.Second, r.changed)
		}
	}
}

func (r *podRunner) pushStatus() error {
	r.mu.Lock()
	st := r.buildStatus(time.Now())
	same := r.lastPushed != nil && apiequality.Semantic.DeepEqual(*r.lastPushed, st)
	r.mu.Unlock()
	if same {
		return nil
	}
	pods := r.a.client.CoreV1().Pods(r.ns)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := pods.Get(r.ctx, r.name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.UID != r.uid || cur.DeletionTimestamp != nil {
			return nil
		}
		next := st.DeepCopy()
		next.QOSClass = cur.Status.QOSClass
		next.NominatedNodeName = cur.Status.NominatedNodeName
		cur.Status = *next
		_, err = pods.UpdateStatus(r.ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if apierrors.IsNotFound(err) || r.ctx.Err() != nil {
		return nil
	}
	if err == nil {
		r.mu.Lock()
		r.lastPushed = &st
		r.mu.Unlock()
	}
	return err
}

// condition keeps lastTransitionTime stable while the status of a condition does not change. r.mu held.
func (r *podRunner) condition(t corev1.PodConditionType, ok bool, reason, msg string, now time.Time) corev1.PodCondition {
	status := corev1.ConditionFalse
	if ok {
		status = corev1.ConditionTrue
		reason, msg = "", ""
	}
	c, seen := r.conds[t]
	if !seen || c.Status != status || c.Reason != reason || c.Message != msg {
		c = corev1.PodCondition{Type: t, Status: status, Reason: reason, Message: msg, LastTransitionTime: metav1.NewTime(now.Truncate(time.Second))}
		r.conds[t] = c
	}
	return c
}

// buildStatus derives the pod status from the runner's state. r.mu held.
func (r *podRunner) buildStatus(now time.Time) corev1.PodStatus {
	st := corev1.PodStatus{
		HostIP:    r.a.cfg.nodeIP,
		HostIPs:   []corev1.HostIP{{IP: r.a.cfg.nodeIP}},
		StartTime: &r.startTime,
	}
	if r.podIP != "" {
		st.PodIP = r.podIP
		st.PodIPs = []corev1.PodIP{{IP: r.podIP}}
	}
	byName := map[string]*containerRunner{}
	for _, cr := range r.containers {
		byName[cr.spec.Name] = cr
	}
	allReady, anyRunning, allFinal, anyFailed := true, false, true, false
	var notReady []string
	for _, c := range r.pod.Spec.Containers {
		cs := corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: "sandbox://" + c.Image}
		cr := byName[c.Name]
		switch {
		case cr == nil:
			msg := "waiting for the pod sandbox"
			if r.sandboxErr != "" {
				msg = r.sandboxErr
			}
			cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating", Message: msg}
			allFinal = false
		default:
			cs.RestartCount = cr.restartCount
			cs.Ready = cr.ready
			started := cr.running
			cs.Started = &started
			if cr.last != nil {
				cs.LastTerminationState.Terminated = cr.last.DeepCopy()
			}
			switch {
			case cr.running:
				cs.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(cr.startedAt.Truncate(time.Second))}
				cs.ContainerID = cr.containerID(cr.restartCount)
				anyRunning = true
				allFinal = false
			case cr.final != nil:
				cs.State.Terminated = cr.final.DeepCopy()
				cs.ContainerID = cr.final.ContainerID
				anyFailed = anyFailed || cr.final.ExitCode != 0
			case cr.waiting != nil:
				cs.State.Waiting = cr.waiting.DeepCopy()
				allFinal = false
			default:
				cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
				allFinal = false
			}
		}
		if !cs.Ready {
			allReady = false
			notReady = append(notReady, c.Name)
		}
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
	}
	switch {
	case len(r.containers) > 0 && allFinal && anyFailed:
		st.Phase = corev1.PodFailed
	case len(r.containers) > 0 && allFinal:
		st.Phase = corev1.PodSucceeded
	case anyRunning || (len(r.containers) > 0 && !allFinal && r.hasStarted()):
		st.Phase = corev1.PodRunning
	default:
		st.Phase = corev1.PodPending
	}
	msg := fmt.Sprintf("containers with unready status: [%s]", strings.Join(notReady, " "))
	st.Conditions = []corev1.PodCondition{
		r.condition(corev1.PodReadyToStartContainers, r.sandbox != nil, "", "", now),
		r.condition(corev1.PodInitialized, true, "", "", now),
		r.condition(corev1.PodReady, allReady, "ContainersNotReady", msg, now),
		r.condition(corev1.ContainersReady, allReady, "ContainersNotReady", msg, now),
		r.condition(corev1.PodScheduled, true, "", "", now),
	}
	return st
}

// hasStarted: some container has run at least once (so a restarting pod stays Running). r.mu held.
func (r *podRunner) hasStarted() bool {
	for _, cr := range r.containers {
		if cr.running || cr.last != nil || cr.restartCount > 0 {
			return true
		}
	}
	return false
}
