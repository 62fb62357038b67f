package trust

import (
	"fmt"

	qrcode "github.com/skip2/go-qrcode"
)

// qrRecovery is the QR error-correction level: Medium (about 15% of the
// code may be damaged).
const qrRecovery = qrcode.Medium

func newQR(payload []byte) (*qrcode.QRCode, error) {
	if _, err := DecodePayload(payload); err != nil {
		return nil, err
	}
	q, err := qrcode.New(EncodeQRText(payload), qrRecovery)
	if err != nil {
		return nil, fmt.Errorf("trust: QR code: %w", err)
	}
	return q, nil
}

// QRTerminal renders a payload's QR code as text for a terminal, two
// modules per character cell with half-block characters (▀ ▄ █). Dark
// modules are left blank and light ones drawn, which reads correctly on a
// terminal with light text on a dark background, the common default; the
// quiet zone is included. The payload must decode (DecodePayload).
func QRTerminal(payload []byte) (string, error) {
	q, err := newQR(payload)
	if err != nil {
		return "", err
	}
	return q.ToSmallString(false), nil
}

// QRPNG renders a payload's QR code as a PNG image of size×size pixels
// (a negative size sets the pixels per module instead, as in go-qrcode).
func QRPNG(payload []byte, size int) ([]byte, error) {
	q, err := newQR(payload)
	if err != nil {
		return nil, err
	}
	return q.PNG(size)
}
