package boltstore_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/strata-lab/strata/layers/sync"
	"github.com/strata-lab/strata/layers/sync/boltstore"
)

// The crash test re-executes the test binary as a writer process.
const (
	envCrashChild = "STRATA_BOLT_CRASH_CHILD" // "1" in the child
	envCrashPath  = "STRATA_BOLT_CRASH_PATH"  // the store's file
	envCrashSeed  = "STRATA_BOLT_CRASH_SEED"  // makes each run's messages new

	crashChildMaxSteps = 1_000_000 // the child stops by itself if nobody kills it
)

func TestMain(m *testing.M) {
	if os.Getenv(envCrashChild) == "1" {
		if err := crashChild(); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var crashGroup = sync.GroupID{0xc4, 0x5a}

// crashChild runs an engine on the bolt store at $STRATA_BOLT_CRASH_PATH,
// feeds it frames of new messages from a fake peer and prints, one hex id a
// line, every id the engine acknowledges, as soon as the ack frame leaves
// the engine. Time is virtual.
func crashChild() error {
	seed, err := strconv.ParseUint(os.Getenv(envCrashSeed), 10, 64)
	if err != nil {
		return err
	}
	store, err := boltstore.Open(os.Getenv(envCrashPath), boltstore.Options{Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	cfg := sync.DefaultConfig("child")
	cfg.PiggybackAcks = false
	cfg.AckDelay = 0
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(seed) * time.Hour)
	eng, err := sync.NewEngine(cfg, store, rand.New(rand.NewPCG(seed, 2)), now)
	if err != nil {
		return err
	}
	if err := eng.AddPeer(now, "peer", sync.PeerConfig{Mode: sync.ModeBatch, Latency: 100 * time.Millisecond}); err != nil {
		return err
	}
	if err := eng.AddGroup(now, crashGroup, []sync.PeerID{"child", "peer"}); err != nil {
		return err
	}
	var prev []sync.ID
	for step := range crashChildMaxSteps {
		now = now.Add(10 * time.Millisecond)
		var f sync.Frame
		for j := range 1 + step%3 {
			m := sync.Message{
				Group:     crashGroup,
				Timestamp: uint64(now.UnixMilli()),
				Body:      fmt.Appendf(nil, "seed %d step %d message %d", seed, step, j),
			}
			switch {
			case step%7 == 3:
				// A parent the child never saw: the message waits (causal
				// delivery) and the child stores a request record.
				m.Parents = []sync.ID{{0xee, byte(step), byte(step >> 8), byte(step >> 16)}}
			case len(prev) > 0:
				m.Parents = prev[len(prev)-1:]
			}
			f.Messages = append(f.Messages, m)
		}
		if step%7 != 3 {
			prev = append(prev[:0], f.Messages[len(f.Messages)-1].ID())
		}
		b, err := sync.EncodeFrame(&f)
		if err != nil {
			return err
		}
		if err := eng.Receive(now, "peer", b); err != nil {
			return err
		}
		if err := eng.Tick(now); err != nil {
			return err
		}
		eng.Events()
		for _, out := range eng.Outbox() {
			of, err := sync.DecodeFrame(out.Bytes)
			if err != nil {
				return err
			}
			for _, id := range of.Acks {
				// One write per line (65 bytes < PIPE_BUF): never torn.
				if _, err := fmt.Fprintf(os.Stdout, "%x\n", id[:]); err != nil {
					return err
				}
			}
		}
	}
	return store.Close()
}

// TestCrash kills a writer process mid-run, reopens its store and finds
// every message the engine had acknowledged, three times over the same
// file (each child restores the engine from what the previous one left).
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	path := filepath.Join(t.TempDir(), "sync.db")
	acked := map[sync.ID]bool{}
	for run, killAfter := range []int{50, 200, 500} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envCrashChild+"=1", envCrashPath+"="+path, envCrashSeed+"="+strconv.Itoa(run))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		watchdog := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
		n, killed := 0, false
		sc := bufio.NewScanner(stdout)
		// Read to EOF: lines the child wrote before it died were acked too.
		for sc.Scan() {
			var id sync.ID
			if b, err := hex.DecodeString(sc.Text()); err != nil || len(b) != len(id) {
				cmd.Process.Kill()
				t.Fatalf("run %d: bad line %q from the child", run, sc.Text())
			} else {
				copy(id[:], b)
			}
			acked[id] = true
			if n++; n == killAfter {
				if err := cmd.Process.Kill(); err != nil {
					t.Fatal(err)
				}
				killed = true
			}
		}
		err = cmd.Wait()
		watchdog.Stop()
		if !killed {
			t.Fatalf("run %d: child ended after %d acks (%v): %s", run, n, err, stderr.Bytes())
		}
		s, err := boltstore.Open(path, boltstore.Options{})
		if err != nil {
			t.Fatalf("run %d: reopen after the kill: %v", run, err)
		}
		snap, err := s.Load()
		if err != nil {
			t.Fatalf("run %d: Load after the kill: %v", run, err)
		}
		have := make(map[sync.ID]bool, len(snap.Messages))
		for _, sm := range snap.Messages {
			have[sm.Message.ID()] = true
		}
		missing := 0
		for id := range acked {
			if !have[id] {
				missing++
			}
		}
		if missing > 0 {
			t.Errorf("run %d (killed after %d acks, read %d): %d of %d acknowledged messages are not in the store",
				run, killAfter, n, missing, len(acked))
		}
		t.Logf("run %d: killed after %d acks (read %d); the store holds %d messages, %d records; %d acked in all",
			run, killAfter, n, len(snap.Messages), len(snap.Records), len(acked))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
