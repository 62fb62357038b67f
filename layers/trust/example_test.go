package trust_test

import (
	"fmt"
	"time"

	"github.com/strata-lab/strata/layers/trust"
)

// Two devices pair over an in-memory link, as `strata trust pair` does.
// Real use passes crypto/rand.Reader and time.Now().
func ExamplePairOverPipe() {
	now := time.UnixMilli(1767225600000)
	cfg := trust.Config{Mode: trust.ModeOneWay}
	a, _ := trust.NewPairing(cfg, trust.NewDetReader([]byte("example/a")), now)
	b, _ := trust.NewPairing(cfg, trust.NewDetReader([]byte("example/b")), now)
	ex, err := trust.PairOverPipe(a, b, now) // a scans b's QR code
	if err != nil {
		fmt.Println(err)
		return
	}
	sasA, _ := a.SAS()
	sasB, _ := b.SAS()
	fmt.Println("records:", len(ex.Records), "bytes:", ex.WireBytes)
	fmt.Println("SAS equal:", sasA == sasB)
	// The users compare the SASs on both screens, then:
	_ = a.ConfirmSAS()
	_ = b.ConfirmSAS()
	ma, _, okA := a.Result()
	mb, _, okB := b.Result()
	fmt.Println("paired:", okA && okB && string(ma) == string(mb))
	// Output:
	// records: 4 bytes: 2561
	// SAS equal: true
	// paired: true
}
