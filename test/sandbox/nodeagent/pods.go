package main

import (
	"context"
	"log"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

type agent struct {
	cfg    config
	client kubernetes.Interface
	podIPs *ipPool // nil: pods without hostNetwork have loopback only

	mu   sync.Mutex
	pods map[types.UID]*podRunner
}

func newAgent(cfg config, client kubernetes.Interface) *agent {
	return &agent{cfg: cfg, client: client, pods: map[types.UID]*podRunner{}}
}

// watchPods runs the pods bound to this node: a runner per pod UID, fed by an informer on spec.nodeName.
func (a *agent) watchPods(ctx context.Context) {
	lw := cache.NewListWatchFromClient(a.client.CoreV1().RESTClient(), "pods", metav1.NamespaceAll,
		fields.OneTermEqualSelector("spec.nodeName", a.cfg.node))
	_, ctrl := cache.NewInformerWithOptions(cache.InformerOptions{
		ListerWatcher: lw,
		ObjectType:    &corev1.Pod{},
		Handler: cache.ResourceEventHandlerFuncs{
			AddFunc:    func(o any) { a.sync(ctx, o.(*corev1.Pod)) },
			UpdateFunc: func(_, o any) { a.sync(ctx, o.(*corev1.Pod)) },
			DeleteFunc: func(o any) {
				if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
					o = d.Obj
				}
				if p, ok := o.(*corev1.Pod); ok {
					a.gone(p)
				}
			},
		},
	})
	ctrl.Run(ctx.Done())
}

func (a *agent) sync(ctx context.Context, pod *corev1.Pod) {
	a.mu.Lock()
	r := a.pods[pod.UID]
	if r == nil {
		if pod.DeletionTimestamp != nil {
			a.mu.Unlock()
			go a.deletePod(pod.Namespace, pod.Name, pod.UID)
			return
		}
		if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			a.mu.Unlock()
			return
		}
		r = newPodRunner(ctx, a, pod)
		a.pods[pod.UID] = r
		a.mu.Unlock()
		log.Printf("pod %s/%s: starting", pod.Namespace, pod.Name)
		go r.run()
		return
	}
	a.mu.Unlock()
	r.setPod(pod)
	if pod.DeletionTimestamp != nil {
		grace := int64(30)
		if pod.DeletionGracePeriodSeconds != nil {
			grace = *pod.DeletionGracePeriodSeconds
		}
		go r.terminateAndDelete(time.Duration(grace) * time.Second)
	}
}

// gone: the pod object is deleted from the API; kill what is left at once.
func (a *agent) gone(pod *corev1.Pod) {
	a.mu.Lock()
	r := a.pods[pod.UID]
	delete(a.pods, pod.UID)
	a.mu.Unlock()
	if r != nil {
		go func() {
			r.terminate(0)
			_ = os.RemoveAll(r.dir)
			log.Printf("pod %s/%s: removed", r.ns, r.name)
		}()
	}
}

func (a *agent) deletePod(ns, name string, uid types.UID) {
	zero := int64(0)
	err := a.client.CoreV1().Pods(ns).Delete(context.Background(), name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero,
		Preconditions:      &metav1.Preconditions{UID: &uid},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		log.Printf("pod %s/%s: delete: %v", ns, name, err)
	}
}

// lookup finds the runner of a pod by name (and UID when given), preferring one that is not terminating.
func (a *agent) lookup(ns, name string, uid types.UID) *podRunner {
	a.mu.Lock()
	defer a.mu.Unlock()
	var found *podRunner
	for _, r := range a.pods {
		if r.ns != ns || r.name != name || (uid != "" && r.uid != uid) {
			continue
		}
		if found == nil || !r.isTerminating() {
			found = r
		}
	}
	return found
}

func (a *agent) runners() []*podRunner {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]*podRunner, 0, len(a.pods))
	for _, r := range a.pods {
		out = append(out, r)
	}
	return out
}

// shutdown stops every pod process (agent exit): short grace, in parallel.
func (a *agent) shutdown() {
	var wg sync.WaitGroup
	for _, r := range a.runners() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.terminate(2 * time.Second)
		}()
	}
	wg.Wait()
}

type podRunner struct {
	a      *agent
	uid    types.UID
	ns     string
	name   string
	dir    string
	ctx    context.Context // ends when the pod terminates
	cancel context.CancelFunc
	kick   chan struct{}

	termOnce   sync.Once
	termDone   chan struct{}
	deleteOnce sync.Once

	mu          sync.Mutex
	pod         *corev1.Pod
	terminating bool
	sandbox     *sandbox
	sandboxErr  string
	podIP       string
	ownsIP      bool // podIP comes from the agent's pool
	startTime   metav1.Time
	containers  []*containerRunner
	conds       map[corev1.PodConditionType]corev1.PodCondition
	lastPushed  *corev1.PodStatus
}

func newPodRunner(ctx context.Context, a *agent, pod *corev1.Pod) *podRunner {
	r := &podRunner{
		a: a, uid: pod.UID, ns: pod.Namespace, name: pod.Name,
		dir:       filepath.Join(a.cfg.state, "pods", pod.Namespace+"_"+pod.Name+"_"+string(pod.UID)),
		kick:      make(chan struct{}, 1),
		termDone:  make(chan struct{}),
		pod:       pod.DeepCopy(),
		startTime: metav1.Now(),
		conds:     map[corev1.PodConditionType]corev1.PodCondition{},
	}
	r.ctx, r.cancel = context.WithCancel(ctx)
	switch {
	case pod.Spec.HostNetwork:
		r.podIP = a.cfg.nodeIP
	case a.podIPs != nil:
		if ip, err := a.podIPs.allocate(); err != nil {
			log.Printf("pod %s/%s: %v (loopback only)", pod.Namespace, pod.Name, err)
		} else {
			r.podIP, r.ownsIP = ip.String(), true
		}
	}
	return r
}

func (r *podRunner) setPod(p *corev1.Pod) {
	r.mu.Lock()
	r.pod = p.DeepCopy()
	r.mu.Unlock()
}

func (r *podRunner) spec() *corev1.Pod {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pod
}

func (r *podRunner) isTerminating() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.terminating
}

func (r *podRunner) changed() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *podRunner) run() {
	go r.statusLoop()
	r.changed()
	_ = os.RemoveAll(filepath.Join(r.dir, "logs")) // a fresh runner starts fresh containers
	if !r.ensureSandbox() {
		return
	}
	r.mu.Lock()
	for i := range r.pod.Spec.Containers {
		r.containers = append(r.containers, &containerRunner{p: r, spec: r.pod.Spec.Containers[i]})
	}
	crs := r.containers
	r.mu.Unlock()
	for _, cr := range crs {
		go cr.loop()
	}
	r.changed()
	r.superviseSandbox()
}

// superviseSandbox replaces a sandbox that died while the pod runs: its containers are killed (their loops restart
// them, as restarts, once the new sandbox is up).
func (r *podRunner) superviseSandbox() {
	for {
		r.mu.Lock()
		sb := r.sandbox
		r.mu.Unlock()
		select {
		case <-r.ctx.Done():
			return
		case <-sb.done:
		}
		r.mu.Lock()
		if r.terminating {
			r.mu.Unlock()
			return
		}
		r.sandbox = nil
		crs := append([]*containerRunner{}, r.containers...)
		r.mu.Unlock()
		log.Printf("pod %s/%s: sandbox process %d exited; recreating the sandbox", r.ns, r.name, sb.pid)
		for _, cr := range crs {
			cr.stop(0)
		}
		if !r.ensureSandbox() {
			return
		}
		r.changed()
	}
}

// ensureSandbox starts the sandbox, retrying with back-off; false when the pod terminated meanwhile.
func (r *podRunner) ensureSandbox() bool {
	backoff := time.Second
	for {
		ip := ""
		if r.ownsIP {
			ip = r.podIP
		}
		sb, err := startSandbox(r.a.cfg, r.spec(), r.dir, ip)
		r.mu.Lock()
		if err == nil && r.terminating {
			r.mu.Unlock()
			sb.kill()
			return false
		}
		if err == nil {
			r.sandbox, r.sandboxErr = sb, ""
			r.mu.Unlock()
			return true
		}
		r.sandboxErr = err.Error()
		r.mu.Unlock()
		r.changed()
		log.Printf("pod %s/%s: sandbox: %v", r.ns, r.name, err)
		if !sleepCtx(r.ctx, backoff) {
			return false
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// terminate stops the containers (SIGTERM, then SIGKILL after grace) and the sandbox; it returns when all are gone.
func (r *podRunner) terminate(grace time.Duration) {
	r.termOnce.Do(func() {
		r.mu.Lock()
		r.terminating = true
		crs := append([]*containerRunner{}, r.containers...)
		r.mu.Unlock()
		r.cancel()

		var wg sync.WaitGroup
		for _, cr := range crs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cr.stop(grace)
			}()
		}
		wg.Wait()
		r.mu.Lock()
		sb := r.sandbox
		r.mu.Unlock()
		if sb != nil {
			sb.kill() // its network namespace, and the veth in it, go with it
		}
		if r.ownsIP {
			r.a.podIPs.release(r.podIP)
		}
		close(r.termDone)
	})
	<-r.termDone
}

func (r *podRunner) terminateAndDelete(grace time.Duration) {
	r.deleteOnce.Do(func() {
		log.Printf("pod %s/%s: terminating (grace %s)", r.ns, r.name, grace)
		r.terminate(grace)
		r.a.deletePod(r.ns, r.name, r.uid)
	})
}

// netnsPath is the network namespace of the pod's processes.
func (r *podRunner) netnsPath() (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sandbox == nil || r.terminating {
		return "", false
	}
	return r.sandbox.netnsPath(), true
}

func (r *podRunner) container(name string) *containerRunner {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, cr := range r.containers {
		if cr.spec.Name == name {
			return cr
		}
	}
	return nil
}
