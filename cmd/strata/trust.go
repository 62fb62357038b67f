package main

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-lab/strata/layers/trust"
)

type trustFlags struct {
	oneWay bool
	hints  []string
	png    string
	size   int
}

func (f *trustFlags) config() (trust.Config, error) {
	cfg := trust.DefaultConfig()
	if f.oneWay {
		cfg.Mode = trust.ModeOneWay
	}
	for _, s := range f.hints {
		h, err := trust.ParseHint(s)
		if err != nil {
			return cfg, err
		}
		cfg.Hints = append(cfg.Hints, h)
	}
	return cfg, nil
}

func newTrustCmd(g *globals) *cobra.Command {
	f := &trustFlags{}
	c := &cobra.Command{
		Use:   "trust",
		Short: "Trust establishment by meeting in person (QR codes)",
		Long: `Two devices that meet show each other a QR code (or one scans and both
compare a short authentication string) and derive an authenticated master
secret over any insecure link; see layers/trust/SPEC.md.`,
	}
	c.PersistentFlags().BoolVar(&f.oneWay, "one-way", false, "one device scans; both compare the short authentication string")
	qr := &cobra.Command{
		Use:   "qr",
		Short: "Print this device's pairing QR code in the terminal (and optionally as a PNG)",
		Example: "  strata trust qr --hint 127.0.0.1:4001\n" +
			"  strata trust qr --hint /ip4/127.0.0.1/tcp/4001 --png pair.png",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.config()
			if err != nil {
				return err
			}
			p, err := trust.NewPairing(cfg, rand.Reader, time.Now())
			if err != nil {
				return err
			}
			text, err := trust.QRTerminal(p.Payload())
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprint(w, text)
			fmt.Fprintf(w, "%s\n(%d-byte payload; valid for 60 s)\n", trust.EncodeQRText(p.Payload()), len(p.Payload()))
			if f.png != "" {
				img, err := trust.QRPNG(p.Payload(), f.size)
				if err != nil {
					return err
				}
				if err := os.WriteFile(f.png, img, 0o644); err != nil {
					return err
				}
				fmt.Fprintf(w, "wrote %s\n", f.png)
			}
			return nil
		},
	}
	qr.Flags().StringArrayVar(&f.hints, "hint", nil, "transport hint: a multiaddr (/ip4/...) or host:port (repeatable)")
	qr.Flags().StringVar(&f.png, "png", "", "also write the QR code as a PNG to this file")
	qr.Flags().IntVar(&f.size, "size", 512, "PNG size in pixels")
	pair := &cobra.Command{
		Use:   "pair",
		Short: "Run both devices of a pairing over an in-memory link, as a demonstration",
		Long: `Creates two devices, lets them scan each other's payload (or one scan the
other with --one-way), moves their records over an in-memory link, and
prints the records, the short authentication strings and the result. With
--seed the devices draw their keys from the seed, so the run replays.`,
		Example: "  strata trust pair\n  strata trust pair --one-way --seed 7",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.config()
			if err != nil {
				return err
			}
			var ra, rb io.Reader = rand.Reader, rand.Reader
			now := time.Now()
			if cmd.Flags().Changed("seed") {
				ra, rb = seeded(g.seed, "a"), seeded(g.seed, "b")
				now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			}
			return runPair(cmd.OutOrStdout(), cfg, ra, rb, now)
		},
	}
	pair.Flags().Int64Var(&g.seed, "seed", 1, "draw the devices' keys from this seed")
	c.AddCommand(qr, pair)
	return c
}

func seeded(seed int64, who string) io.Reader {
	b := binary.BigEndian.AppendUint64(nil, uint64(seed))
	return trust.NewDetReader(append(b, who...))
}

func runPair(w io.Writer, cfg trust.Config, ra, rb io.Reader, now time.Time) error {
	a, err := trust.NewPairing(cfg, ra, now)
	if err != nil {
		return err
	}
	b, err := trust.NewPairing(cfg, rb, now)
	if err != nil {
		return err
	}
	ex, err := trust.PairOverPipe(a, b, now)
	if err != nil {
		return err
	}
	for i, r := range ex.Records {
		fmt.Fprintf(w, "record %d  %s → %d bytes\n", i+1, r.From, len(r.Bytes))
	}
	sasA, _ := a.SAS()
	sasB, _ := b.SAS()
	fmt.Fprintf(w, "short authentication string  a: %s  b: %s\n", sasA, sasB)
	if sasA != sasB {
		return fmt.Errorf("the short authentication strings differ: %w", errFailed)
	}
	if err := a.ConfirmSAS(); err != nil {
		return err
	}
	if err := b.ConfirmSAS(); err != nil {
		return err
	}
	ma, _, okA := a.Result()
	mb, _, okB := b.Result()
	if !okA || !okB || hex.EncodeToString(ma) != hex.EncodeToString(mb) {
		return fmt.Errorf("the devices did not agree on a master secret: %w", errFailed)
	}
	role, _ := a.Role()
	fmt.Fprintf(w, "paired: %d records, %d bytes on the link; device a is %s\n", len(ex.Records), ex.WireBytes, role)
	fmt.Fprintf(w, "master secret fingerprint: %s…\n", hex.EncodeToString(ma[:8]))
	return nil
}
