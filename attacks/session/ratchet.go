package session

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/strata-lab/strata/attacks"
	"github.com/strata-lab/strata/layers/session"
	sessionpb "github.com/strata-lab/strata/layers/session/pb"
)

var sessionEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// classifySession names the error that stopped an attempt.
func classifySession(err error) string {
	if err == nil {
		return "none"
	}
	if name := session.ErrorName(err); !strings.HasPrefix(name, "unclassified") {
		return name
	}
	return "unclassified"
}

// conversation is an established session between two devices.
type conversation struct {
	r      io.Reader
	cfg    session.Config
	bob    *session.Device
	sa, sb *session.Session
}

func reader(o attacks.Options, name string, attempt int) io.Reader {
	return session.NewSeededReader(fmt.Sprintf("%d/%s/%d", o.Seed, name, attempt))
}

// devices makes Alice and Bob, with one one-time prekey on Bob.
func devices(r io.Reader) (alice, bob *session.Device, bundle []byte, err error) {
	if alice, err = session.NewDevice(r); err != nil {
		return
	}
	if bob, err = session.NewDevice(r); err != nil {
		return
	}
	if err = bob.AddOneTimePrekeys(r, 1); err != nil {
		return
	}
	bundle, err = bob.Bundle()
	return
}

// converse sets up a session and lets Bob answer once, so both ratchets run.
func converse(o attacks.Options, name string, attempt int) (*conversation, error) {
	r := reader(o, name, attempt)
	alice, bob, bundle, err := devices(r)
	if err != nil {
		return nil, err
	}
	c := &conversation{r: r, cfg: session.DefaultConfig(), bob: bob}
	if c.sa, err = session.Initiate(r, alice, bundle); err != nil {
		return nil, err
	}
	first, err := c.sa.Encrypt([]byte("hello"))
	if err != nil {
		return nil, err
	}
	if c.sb, _, err = bob.Respond(r, c.cfg, sessionEpoch, first); err != nil {
		return nil, err
	}
	ack, err := c.sb.Encrypt([]byte("ack"))
	if err != nil {
		return nil, err
	}
	if _, err := c.sa.Decrypt(r, c.cfg, sessionEpoch, ack); err != nil {
		return nil, err
	}
	return c, nil
}

func sessionAttacks() []attacks.Attack {
	const layer = "session"
	return []attacks.Attack{
		{Group: "session", Layer: layer, Name: "bundle-key-substitution", Property: "authentication",
			About:  "a man in the middle replaces the signed or the ML-KEM prekey in a prekey bundle, keeping the signature",
			Anchor: "prekeys are signed by the identity key (X3DH/PQXDH)", Run: bundleSubstitution},
		{Group: "session", Layer: layer, Name: "low-order-keys", Property: "key agreement",
			About:  "all-zero and low-order X25519 keys in the identity, one-time prekey and ephemeral fields",
			Anchor: "an all-zero or low-order DH result is rejected", Run: sessionLowOrder},
		{Group: "session", Layer: layer, Name: "replay", Property: "replay protection",
			About:  "every message of a conversation is delivered a second time",
			Anchor: "each message decrypts exactly once", Run: sessionReplay},
		{Group: "session", Layer: layer, Name: "skip-beyond-window", Property: "resource bounds",
			About:  "messages are dropped so that the next one lies beyond the skipped-key window",
			Anchor: "forward jumps beyond MaxSkip (25,000) are refused (Signal: MAX_SKIP)", Run: skipBeyondWindow},
		{Group: "session", Layer: layer, Name: "key-id-exhaustion", Property: "resource bounds",
			About:  "a peer skips just under the window again and again to fill the receiver's skipped-key store",
			Anchor: "at most 2,000 skipped keys are stored per session (field bug: unbounded skipped-key storage)", Run: keyExhaustion},
		{Group: "session", Layer: layer, Name: "rollback", Property: "replay protection",
			About:  "a backup of the receiver's session, taken before some messages arrived, is restored and a message replayed",
			Anchor: "a state older than the last persisted generation is refused (field bug: rollback after restoring a backup)", Run: rollback},
		{Group: "session", Layer: layer, Name: "tamper", Property: "integrity",
			About:  "bit flips and truncations of ciphertexts and encrypted headers",
			Anchor: "every tampered message is rejected and leaves the serialized session unchanged", Run: sessionTamper},
	}
}

func bundleSubstitution(ctx context.Context, o attacks.Options) (*attacks.Outcome, error) {
	out := &attacks.Outcome{}
	for i := range o.Attempts(10, 100) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r := reader(o, "bundle", i)
		alice, _, bundle, err := devices(r)
		if err != nil {
			return nil, err
		}
		// The adversary's own keys, from a device of its own.
		_, _, mallory, err := devices(r)
		if err != nil {
			return nil, err
		}
		var b, m sessionpb.PrekeyBundle
		if err := proto.Unmarshal(bundle, &b); err != nil {
			return nil, err
		}
		if err := proto.Unmarshal(mallory, &m); err != nil {
			return nil, err
		}
		if i%2 == 0 {
			b.SignedPrekey.PublicKey = m.SignedPrekey.PublicKey
		} else {
			b.KemPrekey.PublicKey = m.KemPrekey.PublicKey
		}
		forged, err := proto.Marshal(&b)
		if err != nil {
			return nil, err
		}
		out.Attempts++
		if _, err := session.Initiate(r, alice, forged); err == nil {
			out.Accepted++
		} else {
			out.Reject(classifySession(err))
		}
	}
	return out, nil
}

func sessionLowOrder(ctx context.Context, o attacks.Options) (*attacks.Outcome, error) {
	out := &attacks.Outcome{}
	for i := range o.Attempts(2, 10) * len(lowOrderPoints) * 2 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pt := lowOrderPoints[(i/2)%len(lowOrderPoints)]
		r := reader(o, "low-order", i)
		alice, bob, bundle, err := devices(r)
		if err != nil {
			return nil, err
		}
		out.Attempts++
		if i%2 == 0 {
			// In the bundle: the one-time prekey (not signed) is low order.
			var b sessionpb.PrekeyBundle
			if err := proto.Unmarshal(bundle, &b); err != nil {
				return nil, err
			}
			b.OneTimePrekey.PublicKey = pt[:]
			forged, err := proto.Marshal(&b)
			if err != nil {
				return nil, err
			}
			if _, err := session.Initiate(r, alice, forged); err == nil {
				out.Accepted++
			} else {
				out.Reject(classifySession(err))
			}
			continue
		}
		// In the initial message: the ephemeral key is low order.
		sa, err := session.Initiate(r, alice, bundle)
		if err != nil {
			return nil, err
		}
		first, err := sa.Encrypt([]byte("hello"))
		if err != nil {
			return nil, err
		}
		// The first message is TypeInitial followed by an InitialMessage.
		var im sessionpb.InitialMessage
		if len(first) == 0 || first[0] != session.TypeInitial {
			return nil, fmt.Errorf("low-order: the first message is not an initial message")
		}
		if err := proto.Unmarshal(first[1:], &im); err != nil {
			return nil, fmt.Errorf("low-order: the first message is not an InitialMessage: %w", err)
		}
		im.Ephemeral = pt[:]
		body, err := proto.Marshal(&im)
		if err != nil {
			return nil, err
		}
		forged := append([]byte{session.TypeInitial}, body...)
		if _, _, err := bob.Respond(r, session.DefaultConfig(), sessionEpoch, forged); err == nil {
			out.Accepted++
		} else {
			out.Reject(classifySession(err))
		}
	}
	return out, nil
}

func sessionReplay(ctx context.Context, o attacks.Options) (*attacks.Outcome, error) {
	out := &attacks.Outcome{}
	for i := range o.Attempts(5, 50) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := converse(o, "replay", i)
		if err != nil {
			return nil, err
		}
		var msgs [][]byte
		for j := range 8 {
			m, err := c.sa.Encrypt(fmt.Appendf(nil, "m%d", j))
			if err != nil {
				return nil, err
			}
			msgs = append(msgs, m)
			// Deliver some out of order: every other message waits.
			if j%2 == 1 {
				continue
			}
			if _, err := c.sb.Decrypt(c.r, c.cfg, sessionEpoch, m); err != nil {
				return nil, err
			}
		}
		for j := 1; j < len(msgs); j += 2 {
			if _, err := c.sb.Decrypt(c.r, c.cfg, sessionEpoch, msgs[j]); err != nil {
				return nil, err
			}
		}
		for _, m := range msgs {
			out.Attempts++
			if _, err := c.sb.Decrypt(c.r, c.cfg, sessionEpoch, m); err == nil {
				out.Accepted++
			} else {
				out.Reject(classifySession(err))
			}
		}
	}
	return out, nil
}

func skipBeyondWindow(ctx context.Context, o attacks.Options) (*attacks.Outcome, error) {
	out := &attacks.Outcome{}
	for i := range o.Attempts(2, 10) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := converse(o, "skip", i)
		if err != nil {
			return nil, err
		}
		// MaxSkip+1 messages are lost; the next must be refused.
		var last []byte
		for range c.cfg.MaxSkip + 2 {
			if last, err = c.sa.Encrypt([]byte("x")); err != nil {
				return nil, err
			}
		}
		before := c.sb.Marshal()
		out.Attempts++
		_, err = c.sb.Decrypt(c.r, c.cfg, sessionEpoch, last)
		switch {
		case err == nil:
			out.Accepted++
		case !bytes.Equal(before, c.sb.Marshal()):
			out.Accepted++ // refused, but the state changed
		default:
			out.Reject(classifySession(err))
		}
	}
	return out, nil
}

func keyExhaustion(ctx context.Context, o attacks.Options) (*attacks.Outcome, error) {
	out := &attacks.Outcome{}
	for i := range o.Attempts(1, 5) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := converse(o, "exhaust", i)
		if err != nil {
			return nil, err
		}
		// Each round skips 999 messages and delivers the 1,000th; after a
		// few rounds the store would hold thousands of keys if unbounded.
		for round := range 6 {
			var m []byte
			for range 1000 {
				if m, err = c.sa.Encrypt([]byte("x")); err != nil {
					return nil, err
				}
			}
			if _, err := c.sb.Decrypt(c.r, c.cfg, sessionEpoch, m); err != nil {
				return nil, fmt.Errorf("exhaustion round %d: %w", round, err)
			}
			out.Attempts++
			if c.sb.SkippedKeys() > c.cfg.MaxStoredKeys {
				out.Accepted++
			} else {
				out.Reject("bounded")
			}
		}
	}
	return out, nil
}

func sessionTamper(ctx context.Context, o attacks.Options) (*attacks.Outcome, error) {
	out := &attacks.Outcome{}
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x5e55))
	for i := range o.Attempts(5, 40) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := converse(o, "tamper", i)
		if err != nil {
			return nil, err
		}
		for j := range 10 {
			m, err := c.sa.Encrypt(fmt.Appendf(nil, "m%d", j))
			if err != nil {
				return nil, err
			}
			bad := bytes.Clone(m)
			if rng.IntN(4) == 0 {
				bad = bad[:rng.IntN(len(bad))]
			} else {
				bad[rng.IntN(len(bad))] ^= byte(1 + rng.IntN(255))
			}
			before := c.sb.Marshal()
			out.Attempts++
			_, err = c.sb.Decrypt(c.r, c.cfg, sessionEpoch, bad)
			switch {
			case err == nil:
				out.Accepted++
			case !bytes.Equal(before, c.sb.Marshal()):
				out.Accepted++ // rejected, but the state changed
			default:
				out.Reject(classifySession(err))
			}
			// The untampered message still decrypts.
			if _, err := c.sb.Decrypt(c.r, c.cfg, sessionEpoch, m); err != nil {
				return nil, fmt.Errorf("tamper: the genuine message %d no longer decrypts: %w", j, err)
			}
		}
	}
	return out, nil
}

// rollback restores a backup of the receiver's session taken before some
// messages arrived, then replays one of them. The host keeps the last
// persisted generation in a monotonic store (SPEC.md, "Session state").
func rollback(ctx context.Context, o attacks.Options) (*attacks.Outcome, error) {
	out := &attacks.Outcome{}
	for i := range o.Attempts(5, 50) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := converse(o, "rollback", i)
		if err != nil {
			return nil, err
		}
		backup := c.sb.Marshal()
		var msgs [][]byte
		for j := range 1 + i%4 {
			m, err := c.sa.Encrypt(fmt.Appendf(nil, "m%d", j))
			if err != nil {
				return nil, err
			}
			if _, err := c.sb.Decrypt(c.r, c.cfg, sessionEpoch, m); err != nil {
				return nil, err
			}
			msgs = append(msgs, m)
		}
		monotonic := c.sb.Generation()
		out.Attempts++
		restored, err := session.UnmarshalAtLeast(backup, monotonic)
		if err != nil {
			out.Reject(classifySession(err))
			continue
		}
		if _, err := restored.Decrypt(c.r, c.cfg, sessionEpoch, msgs[0]); err == nil {
			out.Accepted++
		} else {
			out.Reject(classifySession(err))
		}
	}
	return out, nil
}
