package sphinx

import (
	"encoding/binary"
	"fmt"
	"time"
)

// command is one decoded routing command (SPEC.md, "Routing commands"):
// type (1) ‖ delay in milliseconds (uint32, big endian) ‖ address (32) ‖
// tail (16). The address is the next hop (forward) or the recipient
// (deliver, SURB reply); the tail is the next hop's MAC (forward), the
// SURB id (SURB reply) or zero (deliver).
type command struct {
	typ     byte
	delayMs uint32
	addr    [32]byte
	tail    [16]byte
}

func (c *command) encode(b []byte) {
	b[0] = c.typ
	binary.BigEndian.PutUint32(b[1:5], c.delayMs)
	copy(b[5:37], c.addr[:])
	copy(b[37:CommandSize], c.tail[:])
}

// parseCommand decodes a command; reserved must be the rest of the slot
// (the unused ciphertext field of a final hop in ModeMLKEM768), which must
// be zero for final commands.
func parseCommand(b []byte, reserved []byte) (command, error) {
	var c command
	c.typ = b[0]
	c.delayMs = binary.BigEndian.Uint32(b[1:5])
	copy(c.addr[:], b[5:37])
	copy(c.tail[:], b[37:CommandSize])
	switch c.typ {
	case cmdForward:
		return c, nil
	case cmdDeliver:
		if !isZero(c.tail[:]) {
			return c, fmt.Errorf("%w: deliver command with a non-zero tail", ErrBadCommand)
		}
	case cmdSURBReply:
	default:
		return c, fmt.Errorf("%w: unknown command type %#x", ErrBadCommand, c.typ)
	}
	if !isZero(reserved) {
		return c, fmt.Errorf("%w: final command with a non-zero ciphertext field", ErrBadCommand)
	}
	return c, nil
}

// delayMs encodes a hop delay: whole milliseconds, truncated toward zero.
func delayMs(d time.Duration) (uint32, error) {
	if d < 0 || d > MaxDelay {
		return 0, fmt.Errorf("%w: delay %v out of range 0..%v", ErrBadCommand, d, MaxDelay)
	}
	return uint32(d / time.Millisecond), nil
}
