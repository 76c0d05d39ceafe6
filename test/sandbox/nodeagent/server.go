package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	remotecommandconsts "k8s.io/apimachinery/pkg/util/remotecommand"
	"k8s.io/kubelet/pkg/cri/streaming/portforward"
	"k8s.io/kubelet/pkg/cri/streaming/remotecommand"
)

const (
	streamIdleTimeout     = 4 * time.Hour // the kubelet's streamingConnectionIdleTimeout default
	streamCreationTimeout = remotecommandconsts.DefaultStreamCreationTimeout
)

// newServer routes the kubelet API the API server proxies to: exec, attach, portForward, containerLogs.
func newServer(a *agent) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") })
	for _, m := range []string{"GET", "POST"} {
		mux.HandleFunc(m+" /exec/{ns}/{pod}/{container}", a.serveExec)
		mux.HandleFunc(m+" /exec/{ns}/{pod}/{uid}/{container}", a.serveExec)
		mux.HandleFunc(m+" /attach/{ns}/{pod}/{container}", a.serveAttach)
		mux.HandleFunc(m+" /attach/{ns}/{pod}/{uid}/{container}", a.serveAttach)
		mux.HandleFunc(m+" /portForward/{ns}/{pod}", a.servePortForward)
		mux.HandleFunc(m+" /portForward/{ns}/{pod}/{uid}", a.servePortForward)
	}
	mux.HandleFunc("GET /containerLogs/{ns}/{pod}/{container}", a.serveContainerLogs)
	mux.HandleFunc("GET /pods", a.servePods)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/healthz" {
			log.Printf("kubelet API: %s %s", req.Method, req.URL.RequestURI())
		}
		mux.ServeHTTP(w, req)
	})
}

// podFor resolves the pod of a request or answers 404 as the kubelet does.
func (a *agent) podFor(w http.ResponseWriter, req *http.Request) *podRunner {
	r := a.lookup(req.PathValue("ns"), req.PathValue("pod"), types.UID(req.PathValue("uid")))
	if r == nil {
		http.Error(w, "pod does not exist", http.StatusNotFound)
	}
	return r
}

func (a *agent) containerFor(w http.ResponseWriter, req *http.Request) (*podRunner, *containerRunner) {
	r := a.podFor(w, req)
	if r == nil {
		return nil, nil
	}
	name := req.PathValue("container")
	cr := r.container(name)
	if cr == nil {
		if hasContainer(r.spec(), name) {
			http.Error(w, fmt.Sprintf("container %q in pod %q is waiting to start: ContainerCreating", name, r.name), http.StatusBadRequest)
		} else {
			http.Error(w, fmt.Sprintf("container %s is not valid for pod %s", name, r.name), http.StatusNotFound)
		}
		return nil, nil
	}
	return r, cr
}

func hasContainer(p *corev1.Pod, name string) bool {
	for _, c := range p.Spec.Containers {
		if c.Name == name {
			return true
		}
	}
	return false
}

func (a *agent) serveExec(w http.ResponseWriter, req *http.Request) {
	opts, err := remotecommand.NewOptions(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r, cr := a.containerFor(w, req)
	if cr == nil {
		return
	}
	remotecommand.ServeExec(w, req, a, r.ns+"/"+r.name, r.uid, cr.spec.Name, req.URL.Query()["command"], opts,
		streamIdleTimeout, streamCreationTimeout, remotecommandconsts.SupportedStreamingProtocols)
}

func (a *agent) serveAttach(w http.ResponseWriter, req *http.Request) {
	opts, err := remotecommand.NewOptions(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r, cr := a.containerFor(w, req)
	if cr == nil {
		return
	}
	remotecommand.ServeAttach(w, req, a, r.ns+"/"+r.name, r.uid, cr.spec.Name, opts,
		streamIdleTimeout, streamCreationTimeout, remotecommandconsts.SupportedStreamingProtocols)
}

func (a *agent) servePortForward(w http.ResponseWriter, req *http.Request) {
	opts, err := portforward.NewV4Options(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r := a.podFor(w, req)
	if r == nil {
		return
	}
	portforward.ServePortForward(w, req, a, r.ns+"/"+r.name, r.uid, opts,
		streamIdleTimeout, streamCreationTimeout, portforward.SupportedProtocols)
}

func (a *agent) serveContainerLogs(w http.ResponseWriter, req *http.Request) {
	opts, err := parseLogQuery(req.URL.Query(), time.Now())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r, cr := a.containerFor(w, req)
	if cr == nil {
		return
	}
	r.mu.Lock()
	restart, running, done := cr.restartCount, cr.running, cr.done
	r.mu.Unlock()
	if !running || done == nil {
		closed := make(chan struct{})
		close(closed)
		done = closed
	}
	path := cr.logPath(restart)
	if opts.previous {
		if restart == 0 {
			http.Error(w, fmt.Sprintf("previous terminated container %q in pod %q not found", cr.spec.Name, r.name), http.StatusBadRequest)
			return
		}
		path = cr.logPath(restart - 1)
		closed := make(chan struct{})
		close(closed)
		done = closed
	}
	if _, err := os.Stat(path); err != nil {
		http.Error(w, fmt.Sprintf("container %q in pod %q is waiting to start: ContainerCreating", cr.spec.Name, r.name), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	flush := func() {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	if err := streamLogs(req.Context(), w, flush, path, opts, done); err != nil {
		log.Printf("containerLogs %s/%s/%s: %v", r.ns, r.name, cr.spec.Name, err)
	}
}

// servePods lists the pods this agent runs (the kubelet's /pods).
func (a *agent) servePods(w http.ResponseWriter, _ *http.Request) {
	list := corev1.PodList{}
	list.Kind, list.APIVersion = "PodList", "v1"
	for _, r := range a.runners() {
		list.Items = append(list.Items, *r.spec().DeepCopy())
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(list)
}

func serverTLS(cfg config) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.clientCA == "" {
		return t, nil
	}
	pem, err := os.ReadFile(cfg.clientCA)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--client-ca %s: no certificate", cfg.clientCA)
	}
	t.ClientCAs = pool
	t.ClientAuth = tls.VerifyClientCertIfGiven // /healthz stays open; the rest is checked below
	return t, nil
}

// requireClientCert refuses, when on, calls without a verified client certificate (except /healthz), as the
// kubelet does for anonymous requests.
func requireClientCert(on bool, next http.Handler) http.Handler {
	if !on {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/healthz" && (req.TLS == nil || len(req.TLS.VerifiedChains) == 0) {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, req)
	})
}
