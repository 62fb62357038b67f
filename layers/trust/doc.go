// Package trust implements Strata's trust-establishment layer: two devices
// whose users meet in person scan each other's QR codes (or one scans the
// other's and both users compare a short authentication string) and end up
// with an authenticated 32-byte master secret, in the line of Briar's BQP
// and Waku's device pairing, with a hybrid X25519 + X-Wing key exchange.
//
// The normative description is SPEC.md in this directory. The package has
// these parts:
//
//   - the QR payload codec (Payload, EncodePayload, DecodePayload) and its
//     text form for QR codes (EncodeQRText, DecodeQRText: base45);
//   - the record codec for KEY, CONFIRM and ABORT (DecodeRecord);
//   - Pairing, a sans-I/O state machine per device: time is passed in,
//     randomness is injected, records leave through Outbox;
//   - SealIdentity and OpenIdentity, which use the master secret to
//     authenticate an exchange of opaque identity blobs;
//   - helpers for the command line: QRTerminal, QRPNG and PairOverPipe.
//
// A device's flow: NewPairing (with crypto/rand.Reader and the current
// time); show Payload as a QR code (QRTerminal, QRPNG, or EncodeQRText for
// another renderer); ScanPeer with the peer's payload (DecodeQRText on the
// scanned text); send every record from Outbox and feed every record
// received to Receive, sending what it returns; show SAS; in one-way mode
// call ConfirmSAS or RejectSAS after the users compare; then Result. Any
// failure aborts for good and leaves an ABORT record to send.
package trust
