package study

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestRunKeepsOrderAndReports(t *testing.T) {
	var buf bytes.Buffer
	label := func(i int) string { return fmt.Sprintf("job %d", i) }
	outs, walls, err := Run(context.Background(), Options{Progress: &buf, Workers: 3}, 10, label,
		func(i int, note func(string)) (int, error) {
			if i == 4 {
				note("halfway")
			}
			return i * i, nil
		}, func(o int) string { return fmt.Sprint("squared ", o) })
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		if o != i*i {
			t.Fatalf("outs[%d] = %d", i, o)
		}
	}
	if len(walls) != 10 {
		t.Fatalf("%d wall times", len(walls))
	}
	for _, want := range []string{"[10/10]", "job 9: squared 81", "… job 4: halfway"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestRunReturnsTheFirstErrorInJobOrder(t *testing.T) {
	boom := errors.New("boom")
	_, _, err := Run(context.Background(), Options{Workers: 2}, 5, func(i int) string { return fmt.Sprint("j", i) },
		func(i int, _ func(string)) (int, error) {
			if i >= 2 {
				return 0, boom
			}
			return i, nil
		}, nil)
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "j2:") {
		t.Fatalf("err = %v, want j2: boom", err)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Run(ctx, Options{Workers: 1}, 100, func(int) string { return "" },
		func(int, func(string)) (int, error) { return 0, nil }, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}
