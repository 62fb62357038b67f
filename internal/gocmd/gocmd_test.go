package gocmd

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestTail(t *testing.T) {
	tl := Tail{N: 3}
	for i := range 100 {
		tl.Add(strings.Repeat("x", i))
	}
	if got := strings.Split(tl.String(), "\n"); len(got) != 3 || len(got[2]) != 99 {
		t.Errorf("tail = %q", got)
	}
}

func TestLineWriter(t *testing.T) {
	var got []string
	w := &LineWriter{Fn: func(l string) { got = append(got, l) }}
	fmt.Fprint(w, "a\r\nb")
	fmt.Fprint(w, "c\nd")
	w.Flush()
	if want := []string{"a", "bc", "d"}; !slices.Equal(got, want) {
		t.Fatalf("lines %q, want %q", got, want)
	}
}
