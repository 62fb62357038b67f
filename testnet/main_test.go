package testnet

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/strata-lab/strata/testnet/node"
)

// orchEnv makes a re-executed test binary run a scenario as an
// orchestrator: "<scenario>|<out>"; upEnv makes it run Up: "<nodes>|<out>".
const (
	orchEnv = "STRATA_TESTNET_TEST_ORCH"
	upEnv   = "STRATA_TESTNET_TEST_UP"
)

// TestMain lets the test binary stand in for the strata binary: with
// arguments "node --config FILE --data-dir DIR" it runs a node, and with
// orchEnv set it runs a scenario.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "node" {
		fs := flag.NewFlagSet("node", flag.ExitOnError)
		cfgPath := fs.String("config", "", "")
		dir := fs.String("data-dir", "", "")
		fs.Parse(os.Args[2:])
		cfg, err := node.LoadConfig(*cfgPath)
		if err == nil {
			err = node.Run(context.Background(), *cfg, *dir, node.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "node:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if v := os.Getenv(orchEnv); v != "" {
		path, out, _ := strings.Cut(v, "|")
		s, err := LoadScenario(path)
		if err == nil {
			_, err = Run(context.Background(), s, Options{Out: out, NodeCmd: []string{os.Args[0]}})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "orchestrator:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if v := os.Getenv(upEnv); v != "" {
		n, out, _ := strings.Cut(v, "|")
		nodes, _ := strconv.Atoi(n)
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		err := Up(ctx, UpOptions{Nodes: nodes, Subnet: 165, Seed: 1, Options: Options{Out: out, NodeCmd: []string{os.Args[0]}}})
		if err != nil {
			fmt.Fprintln(os.Stderr, "up:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
