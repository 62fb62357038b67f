package testnet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/strata-lab/strata/layers/overlay"
	"github.com/strata-lab/strata/testnet/node"
)

// Options configure a run.
type Options struct {
	// Seed replaces the scenario's seed when non-zero.
	Seed int64
	// Out is the output folder; the run's node directories go to
	// <Out>/testnet/<scenario>-seed<seed>/.
	Out string
	// NodeCmd is the command that runs a node, before its "node --config
	// FILE --data-dir DIR" arguments (default: this executable).
	NodeCmd []string
	// Progress receives progress lines (nil: none).
	Progress io.Writer
	// ReadyTimeout bounds each node's start (default 60 s).
	ReadyTimeout time.Duration
}

func (o *Options) fill() error {
	if o.Out == "" {
		o.Out = "out"
	}
	if len(o.NodeCmd) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		o.NodeCmd = []string{exe}
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 60 * time.Second
	}
	return nil
}

// runner holds a running testnet.
type runner struct {
	plan  *Plan
	opts  Options
	dir   string
	mu    sync.Mutex
	procs []*proc
	start time.Time
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.opts.Progress, "testnet %s: %s\n", r.plan.Scenario.Name, fmt.Sprintf(format, args...))
}

func (r *runner) nodeDir(i int) string { return filepath.Join(r.dir, "nodes", r.plan.Nodes[i].Name) }

// prepare writes every node's identity and configuration.
func (r *runner) prepare() error {
	if err := os.RemoveAll(r.dir); err != nil {
		return err
	}
	s := r.plan.Scenario
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return err
	}
	mixnet, err := r.mixnetConfigs()
	if err != nil {
		return err
	}
	for i, n := range r.plan.Nodes {
		dir := r.nodeDir(i)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := overlay.WriteIdentity(filepath.Join(dir, overlay.IdentityFile), n.Key); err != nil {
			return err
		}
		cfg := node.Config{
			Name: n.Name, IP: n.IP, TCPPort: P2PPort, QUICPort: -1, ControlPort: ControlPort,
			Seed: r.plan.Seed*1000003 + int64(i), Topics: s.Topics, DHT: s.Topology.DHT, Limits: s.Limits,
			Class: n.Class, Behaviour: n.Behaviour,
		}
		if n.QUIC {
			cfg.QUICPort = P2PPort
		}
		for _, g := range s.Groups {
			if g.Name == n.Group {
				cfg.BehaviourParams = g.BehaviourParams
			}
		}
		for _, b := range n.Bootstrap {
			cfg.Bootstrap = append(cfg.Bootstrap, r.plan.Nodes[b].Multiaddr())
		}
		if l, ok := s.Links[n.Class]; ok && n.Class != "" {
			cfg.Links = []node.LinkRule{{Class: "*", Latency: l.Latency, Jitter: l.Jitter, Bandwidth: l.Bandwidth, Loss: l.Loss}}
		}
		if n.SyncGroup != "" {
			var members []string
			for _, m := range r.plan.SyncGroups[n.SyncGroup] {
				members = append(members, r.plan.Nodes[m].Multiaddr())
			}
			cfg.Sync = node.SyncConfig{
				Transport: s.Sync.Transport, Mode: s.Sync.Mode, Reconcile: s.Sync.Reconcile, BackoffCap: s.Sync.BackoffCap,
				Groups: []node.GroupConfig{{Name: n.SyncGroup, Members: members}},
			}
		}
		cfg.Sessions = s.Workload.Kind == "session"
		cfg.Mixnet = mixnet[i]
		if err := cfg.Validate(); err != nil {
			return err
		}
		b, err := cfg.Marshal()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "node.yaml"), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// launch starts node i and waits until its control API answers.
func (r *runner) launch(ctx context.Context, i int) error {
	dir := r.nodeDir(i)
	argv := append(append([]string(nil), r.opts.NodeCmd...), "node", "--config", filepath.Join(dir, "node.yaml"), "--data-dir", dir)
	p, err := startProc(argv, r.plan.Scenario.Runtime.env(), filepath.Join(dir, "node.log"))
	if err != nil {
		return err
	}
	r.mu.Lock()
	if old := r.procs[i]; old != nil {
		p.cpu, p.rss, p.restarts = old.cpu, old.rss, old.restarts+1
	}
	r.procs[i] = p
	r.mu.Unlock()
	if err := waitReady(ctx, p, r.plan.Nodes[i].ControlURL(), r.opts.ReadyTimeout); err != nil {
		return fmt.Errorf("%s: %w (log: %s)", r.plan.Nodes[i].Name, err, filepath.Join(dir, "node.log"))
	}
	return nil
}

// launchAll starts the bootstrap nodes (or the first node) first, then the
// rest, at most batch at a time.
func (r *runner) launchAll(ctx context.Context) error {
	var first, rest []int
	for _, n := range r.plan.Nodes {
		if n.Role == RoleBootstrap || (n.Index == 0 && !r.hasBootstrap()) {
			first = append(first, n.Index)
		} else {
			rest = append(rest, n.Index)
		}
	}
	for _, i := range first {
		if err := r.launch(ctx, i); err != nil {
			return err
		}
	}
	const batch = 32
	sem := make(chan struct{}, batch)
	errc := make(chan error, len(rest))
	var wg sync.WaitGroup
	for k, i := range rest {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errc <- r.launch(ctx, i)
		}()
		if (k+1)%100 == 0 {
			r.logf("%d of %d nodes started", k+1+len(first), len(r.plan.Nodes))
		}
	}
	wg.Wait()
	close(errc)
	var errs []error
	for err := range errc {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (r *runner) hasBootstrap() bool {
	for _, n := range r.plan.Nodes {
		if n.Role == RoleBootstrap {
			return true
		}
	}
	return false
}

// teardown stops every node: SIGCONT for stopped ones, a shutdown request,
// then SIGKILL to every process group still alive after grace.
func (r *runner) teardown(grace time.Duration) {
	r.mu.Lock()
	procs := append([]*proc(nil), r.procs...)
	r.mu.Unlock()
	var wg sync.WaitGroup
	for i, p := range procs {
		if !p.alive() {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p.stopped {
				p.signal(syscall.SIGCONT)
			}
			if grace > 0 {
				post(context.Background(), r.plan.Nodes[i].ControlURL()+"/shutdown", nil, nil)
				select {
				case <-p.exited:
					return
				case <-time.After(grace):
				}
			}
			p.signal(syscall.SIGKILL)
			<-p.exited
		}()
	}
	wg.Wait()
}

// post sends a JSON request and decodes the JSON reply into out.
func post(ctx context.Context, url string, in, out any) error {
	return do(ctx, "POST", url, in, out)
}

func do(ctx context.Context, method, url string, in, out any) error {
	var body bytes.Buffer
	if in != nil {
		if err := json.NewEncoder(&body).Encode(in); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, url, &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

// published is what the driver learned about one publication.
type published struct {
	ok   bool
	err  string
	id   string
	time time.Time
}

// drive runs the workload and the fault timeline from r.start.
func (r *runner) drive(ctx context.Context) []published {
	pubs := r.plan.Publications
	events := r.plan.Events
	out := make([]published, len(pubs))
	var wg sync.WaitGroup
	pi, ei := 0, 0
	kind := r.plan.Scenario.Workload.Kind
	tl := r.plan.timeline()
	for pi < len(pubs) || ei < len(events) {
		var at time.Duration
		isEvent := ei < len(events) && (pi >= len(pubs) || events[ei].At <= pubs[pi].At)
		if isEvent {
			at = events[ei].At
		} else {
			at = pubs[pi].At
		}
		if d := time.Until(r.start.Add(at)); d > 0 {
			select {
			case <-ctx.Done():
				wg.Wait()
				return out
			case <-time.After(d):
			}
		}
		if isEvent {
			e := events[ei]
			ei++
			r.apply(ctx, e)
			continue
		}
		k := pi
		pub := pubs[pi]
		pi++
		if !tl.running(pub.Node, pub.At) {
			out[k] = published{err: "publisher not running"}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var req any = node.PublishRequest{Topic: pub.Topic, Data: pub.Data}
			path := "/publish"
			switch kind {
			case "sync":
				path = "/send"
			case "session":
				path = "/session/send"
				req = node.SessionSendRequest{Peer: r.plan.Nodes[pub.To].Multiaddr(), Data: pub.Data}
			case "mixnet":
				path = "/mixnet/send"
				req = node.MixnetSendRequest{To: r.plan.Nodes[pub.To].Name, Data: pub.Data}
			}
			var rep node.PublishReply
			err := post(ctx, r.plan.Nodes[pub.Node].ControlURL()+path, req, &rep)
			if err != nil {
				out[k] = published{err: err.Error()}
				return
			}
			out[k] = published{ok: true, id: rep.ID, time: rep.Time}
		}()
		if pi%max(1, len(pubs)/10) == 0 {
			r.logf("%d of %d messages sent", pi, len(pubs))
		}
	}
	wg.Wait()
	return out
}

// apply carries out one fault event.
func (r *runner) apply(ctx context.Context, e Event) {
	r.logf("t=%v %s %d node(s)", e.At.Round(time.Millisecond), e.Action, len(e.Nodes))
	var wg sync.WaitGroup
	for _, i := range e.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.applyOne(ctx, e, i); err != nil {
				r.logf("%s on %s: %v", e.Action, r.plan.Nodes[i].Name, err)
			}
		}()
	}
	wg.Wait()
}

func (r *runner) applyOne(ctx context.Context, e Event, i int) error {
	r.mu.Lock()
	p := r.procs[i]
	r.mu.Unlock()
	n := r.plan.Nodes[i]
	switch e.Action {
	case ActKill:
		p.kill()
	case ActRestart:
		if p.alive() {
			return nil
		}
		return r.launch(ctx, i)
	case ActStop:
		p.stopped = true
		return p.signal(syscall.SIGSTOP)
	case ActCont:
		p.stopped = false
		return p.signal(syscall.SIGCONT)
	case ActPartition:
		// The chosen nodes block the rest and the rest block them.
		side := map[int]bool{}
		for _, j := range e.Nodes {
			side[j] = true
		}
		var blocked []string
		for _, m := range r.plan.Nodes {
			if side[m.Index] != side[i] {
				blocked = append(blocked, m.IP)
			}
		}
		if err := do(ctx, "PUT", n.ControlURL()+"/partition", node.PartitionRequest{Blocked: blocked}, nil); err != nil {
			return err
		}
		if i == e.Nodes[0] { // the other side, once
			var wg sync.WaitGroup
			for _, m := range r.plan.Nodes {
				if side[m.Index] {
					continue
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					var ips []string
					for _, j := range e.Nodes {
						ips = append(ips, r.plan.Nodes[j].IP)
					}
					do(ctx, "PUT", m.ControlURL()+"/partition", node.PartitionRequest{Blocked: ips}, nil)
				}()
			}
			wg.Wait()
		}
	case ActHeal:
		var wg sync.WaitGroup
		for _, m := range r.plan.Nodes {
			if r.procs[m.Index].alive() && !r.procs[m.Index].stopped {
				wg.Add(1)
				go func() {
					defer wg.Done()
					do(ctx, "PUT", m.ControlURL()+"/partition", node.PartitionRequest{}, nil)
				}()
			}
		}
		wg.Wait()
	case actIsolate:
		var blocked []string
		for _, m := range r.plan.Nodes {
			if m.Index != i {
				blocked = append(blocked, m.IP)
			}
		}
		return do(ctx, "PUT", n.ControlURL()+"/partition", node.PartitionRequest{Blocked: blocked}, nil)
	case actRejoin:
		return do(ctx, "PUT", n.ControlURL()+"/partition", node.PartitionRequest{}, nil)
	case ActLink:
		l, ok := r.plan.Scenario.Links[n.Class]
		if e.Link != nil {
			l, ok = *e.Link, true
		}
		var rules []node.LinkRule
		if ok {
			rules = []node.LinkRule{{Class: "*", Latency: l.Latency, Jitter: l.Jitter, Bandwidth: l.Bandwidth, Loss: l.Loss}}
		}
		return do(ctx, "PUT", n.ControlURL()+"/links", node.LinksRequest{Rules: rules}, nil)
	}
	return nil
}

// nodeStats is what collection learns about one node.
type nodeStats struct {
	bytes    int64
	cpu      float64
	rssKiB   int64
	anonKiB  int64
	pssKiB   int64
	fds      int
	restarts int
	status   *node.Status
}

// collect reads every live node's status and process figures.
func (r *runner) collect(ctx context.Context) []nodeStats {
	out := make([]nodeStats, len(r.plan.Nodes))
	var wg sync.WaitGroup
	for i := range r.plan.Nodes {
		p := r.procs[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			var st node.Status
			if p.alive() && !p.stopped {
				if err := do(ctx, "GET", r.plan.Nodes[i].ControlURL()+"/status", nil, &st); err == nil {
					out[i].status = &st
					out[i].bytes = st.BytesIn + st.BytesOut
				}
			}
			if p.alive() {
				out[i].fds = procFDs(p.cmd.Process.Pid)
			}
			out[i].cpu, out[i].rssKiB = p.sample()
			out[i].anonKiB, out[i].pssKiB = p.anon, p.pss
			out[i].restarts = p.restarts
		}()
	}
	wg.Wait()
	return out
}
