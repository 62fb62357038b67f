package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/strata-lab/strata/internal/modroot"
)

// version is set at link time (-ldflags "-X main.version=...").
var version = "dev"

// buildCommit returns the VCS revision recorded in the binary or, for a
// binary built without it (go run), the checkout's HEAD, with "-dirty" when
// the work tree has changes; empty when neither is known. It is computed
// once.
var buildCommit = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if dirty {
				rev += "-dirty"
			}
			return rev
		}
	}
	root, err := modroot.Find(".")
	if err != nil {
		return ""
	}
	out, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		rev += "-dirty"
	}
	return rev
})

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of strata",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := buildCommit()
			if c == "" {
				c = "unknown commit"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "strata %s (%s)\n", version, c)
			return nil
		},
	}
}
