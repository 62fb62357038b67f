package trust

import (
	"fmt"
	"strings"
)

// QRPrefix starts the text of every Strata trust QR code (SPEC.md, "QR
// text"). It is in the QR alphanumeric set, as is base45's alphabet.
const QRPrefix = "STRATA1:"

const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// base45Encode encodes b as in RFC 9285.
func base45Encode(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b)/2*3 + 2)
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])*256 + int(b[i+1])
		sb.WriteByte(base45Alphabet[n%45])
		sb.WriteByte(base45Alphabet[n/45%45])
		sb.WriteByte(base45Alphabet[n/2025])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		sb.WriteByte(base45Alphabet[n%45])
		sb.WriteByte(base45Alphabet[n/45])
	}
	return sb.String()
}

// base45Decode decodes s as in RFC 9285, rejecting characters outside the
// alphabet, a dangling single character and values above 65535 (255 for
// a final pair).
func base45Decode(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, fmt.Errorf("%w: base45 length %d", ErrMalformed, len(s))
	}
	val := func(c byte) (int, error) {
		i := strings.IndexByte(base45Alphabet, c)
		if i < 0 {
			return 0, fmt.Errorf("%w: character %q is not base45", ErrMalformed, c)
		}
		return i, nil
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		k := min(3, len(s)-i)
		n, mul := 0, 1
		for j := range k {
			v, err := val(s[i+j])
			if err != nil {
				return nil, err
			}
			n += v * mul
			mul *= 45
		}
		if k == 3 {
			if n > 0xffff {
				return nil, fmt.Errorf("%w: base45 triple above 65535", ErrMalformed)
			}
			out = append(out, byte(n>>8), byte(n))
		} else {
			if n > 0xff {
				return nil, fmt.Errorf("%w: base45 pair above 255", ErrMalformed)
			}
			out = append(out, byte(n))
		}
	}
	return out, nil
}

// EncodeQRText returns the text a QR code carries for a payload:
// QRPrefix followed by the base45 encoding of the payload. Every
// character is in the QR alphanumeric set, so the code is about 25%
// denser than base64 in byte mode.
func EncodeQRText(payload []byte) string { return QRPrefix + base45Encode(payload) }

// DecodeQRText reverses EncodeQRText and decodes the payload bytes'
// framing only (use DecodePayload for the content). Errors wrap
// ErrMalformed.
func DecodeQRText(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, QRPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: QR text does not start with %q", ErrMalformed, QRPrefix)
	}
	if len(rest) > (MaxPayloadSize+1)/2*3 {
		return nil, fmt.Errorf("%w: QR text of %d characters", ErrMalformed, len(s))
	}
	return base45Decode(rest)
}
