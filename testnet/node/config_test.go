package node

import (
	"errors"
	"testing"
)

// TestExampleConfig keeps the example configuration in testdata valid.
func TestExampleConfig(t *testing.T) {
	c, err := LoadConfig("testdata/node.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Sync.BackoffCap == 0 || c.InboxSize == 0 || len(c.Links) != 2 {
		t.Fatalf("defaults not filled: %+v", c)
	}
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseConfig(b); err != nil {
		t.Fatalf("a marshalled configuration does not parse back: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, bad := range []string{
		"ip: 127.0.0.2",
		"name: x\nip: 0.0.0.0",
		"name: x\nip: 127.0.0.2\ntopics: [chat]",
		"name: x\nip: 127.0.0.2\nsync: {transport: carrier-pigeon}",
		"name: x\nip: 127.0.0.2\nlinks: [{loss: 1.5}]",
		"name: x\nip: 127.0.0.2\nunknown: 1",
		"name: x\nip: 127.0.0.2\nsync: {transport: stream, groups: [{name: g, members: [a]}]}",
	} {
		if _, err := ParseConfig([]byte(bad)); !errors.Is(err, ErrConfig) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
