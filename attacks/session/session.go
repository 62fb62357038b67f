// Package session holds the adversary models of the trust-establishment
// and conversational-security layers: key substitution, commitment
// mismatch, low-order keys, tampering, replay and expiry against the trust
// layer; prekey-bundle substitution, low-order keys, replay, skips beyond
// the window, skipped-key exhaustion, rollback of a restored backup and
// tampering against the session layer. Each attack counts the attempts the
// layer accepted (must be none) and classifies why it rejected the others.
package session

import "github.com/strata-lab/strata/attacks"

// All returns every attack of the group.
func All() []attacks.Attack { return append(trustAttacks(), sessionAttacks()...) }
