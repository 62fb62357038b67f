package overlay

import (
	"fmt"
	"strings"
)

// Specification constants for topic names (SPEC.md, "Topic names").
const (
	// TopicPrefix starts every Strata topic.
	TopicPrefix = "/strata/"
	// TopicVersion is the version component of topic names this package
	// speaks.
	TopicVersion = "1"
	// MaxLayerLen bounds the layer component.
	MaxLayerLen = 16
	// MaxNameLen bounds the name component.
	MaxNameLen = 64
	// MaxTopicLen bounds a whole topic name.
	MaxTopicLen = len(TopicPrefix) + len(TopicVersion) + 1 + MaxLayerLen + 1 + MaxNameLen
)

// Topic is a parsed topic name: /strata/1/<layer>/<name>.
type Topic struct {
	// Layer is the layer that owns the topic ("sync", "chat", "test").
	Layer string
	// Name distinguishes topics of one layer (a group id in hex, "blocks").
	Name string
}

// String returns the topic's canonical name.
func (t Topic) String() string { return TopicPrefix + TopicVersion + "/" + t.Layer + "/" + t.Name }

// TopicName returns the canonical name of layer's topic name, or ErrTopic.
func TopicName(layer, name string) (string, error) {
	t := Topic{Layer: layer, Name: name}
	if err := t.validate(); err != nil {
		return "", err
	}
	return t.String(), nil
}

// ParseTopic parses a canonical topic name. Any other spelling (a missing
// or extra component, another version, upper case, a trailing slash) is
// ErrTopic: a topic has exactly one spelling, so two nodes never split a
// conversation over two names.
func ParseTopic(s string) (Topic, error) {
	if len(s) > MaxTopicLen {
		return Topic{}, fmt.Errorf("%w: %d bytes, at most %d", ErrTopic, len(s), MaxTopicLen)
	}
	rest, ok := strings.CutPrefix(s, TopicPrefix)
	if !ok {
		return Topic{}, fmt.Errorf("%w: %q does not start with %q", ErrTopic, s, TopicPrefix)
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 {
		return Topic{}, fmt.Errorf("%w: %q must be %s<version>/<layer>/<name>", ErrTopic, s, TopicPrefix)
	}
	if parts[0] != TopicVersion {
		return Topic{}, fmt.Errorf("%w: version %q, this node speaks %q", ErrTopic, parts[0], TopicVersion)
	}
	t := Topic{Layer: parts[1], Name: parts[2]}
	if err := t.validate(); err != nil {
		return Topic{}, err
	}
	return t, nil
}

func (t Topic) validate() error {
	if n := len(t.Layer); n == 0 || n > MaxLayerLen {
		return fmt.Errorf("%w: layer %q must have 1 to %d characters", ErrTopic, t.Layer, MaxLayerLen)
	}
	for i, c := range []byte(t.Layer) {
		if !(c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return fmt.Errorf("%w: layer %q must match [a-z][a-z0-9]*", ErrTopic, t.Layer)
		}
	}
	if n := len(t.Name); n == 0 || n > MaxNameLen {
		return fmt.Errorf("%w: name %q must have 1 to %d characters", ErrTopic, t.Name, MaxNameLen)
	}
	for i, c := range []byte(t.Name) {
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !(alnum || i > 0 && (c == '.' || c == '_' || c == '-')) {
			return fmt.Errorf("%w: name %q must match [a-z0-9][a-z0-9._-]*", ErrTopic, t.Name)
		}
	}
	return nil
}
