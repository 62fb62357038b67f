package node

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	gosync "sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	bolt "go.etcd.io/bbolt"

	"github.com/strata-lab/strata/internal/trace"
	"github.com/strata-lab/strata/layers/session"
)

// Specification constants of the session transport.
const (
	// SessionProtocol carries 1:1 session traffic between two nodes. A
	// stream carries one request, u8(kind) || u32be(length) || payload,
	// and its answer: for kind 1 (bundle request, empty payload) the
	// prekey bundle as u32be(length) || bundle; for kind 2 (a session
	// message) one status byte, 0 when the message was decrypted and the
	// session state stored, 1 otherwise.
	SessionProtocol = protocol.ID("/strata/session/1.0.0")
	// SessionDB is the session store's file name in the data directory.
	SessionDB = "session.db"

	sessionKindBundle  = 1
	sessionKindMessage = 2
	// maxSessionPayload bounds a request payload and a bundle.
	maxSessionPayload = 128 << 10
	// oneTimePrekeys is how many one-time prekeys a new device draws.
	oneTimePrekeys = 32
)

// ErrSession classifies session service errors.
var ErrSession = errors.New("node: session")

var (
	bucketDevice   = []byte("device")
	bucketSessions = []byte("sessions")
	bucketGens     = []byte("generations")
	keyDevice      = []byte("device")
)

// sessionService runs the session layer (layers/session) between nodes:
// one session per peer, keyed by the libp2p peer id of the other node
// (authenticated by the link's handshake), persisted in bbolt before any
// message leaves or is acknowledged.
type sessionService struct {
	n   *Node
	db  *bolt.DB
	cfg session.Config

	mu       gosync.Mutex
	dev      *session.Device
	sessions map[peer.ID]*session.Session
}

func newSessionService(n *Node, dataDir string) (*sessionService, error) {
	db, err := bolt.Open(filepath.Join(dataDir, SessionDB), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("%w: store: %w", ErrSession, err)
	}
	s := &sessionService{n: n, db: db, cfg: session.DefaultConfig(), sessions: map[peer.ID]*session.Session{}}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketDevice, bucketSessions, bucketGens} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if raw := tx.Bucket(bucketDevice).Get(keyDevice); raw != nil {
			d, err := session.UnmarshalDevice(raw)
			if err != nil {
				return err
			}
			s.dev = d
		} else {
			d, err := session.NewDevice(rand.Reader)
			if err != nil {
				return err
			}
			if err := d.AddOneTimePrekeys(rand.Reader, oneTimePrekeys); err != nil {
				return err
			}
			s.dev = d
			if err := tx.Bucket(bucketDevice).Put(keyDevice, d.Marshal()); err != nil {
				return err
			}
		}
		gens := tx.Bucket(bucketGens)
		return tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
			min := uint64(0)
			if g := gens.Get(k); len(g) == 8 {
				min = binary.BigEndian.Uint64(g)
			}
			ss, err := session.UnmarshalAtLeast(v, min)
			if err != nil {
				return fmt.Errorf("session with %s: %w", peer.ID(k), err)
			}
			s.sessions[peer.ID(k)] = ss
			return nil
		})
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("%w: loading: %w", ErrSession, err)
	}
	n.ov.Host.SetStreamHandler(SessionProtocol, s.handle)
	return s, nil
}

// persist stores the device and p's session in one transaction, with the
// session's generation as the new floor against rollback.
func (s *sessionService) persist(p peer.ID, ss *session.Session) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketDevice).Put(keyDevice, s.dev.Marshal()); err != nil {
			return err
		}
		if err := tx.Bucket(bucketSessions).Put([]byte(p), ss.Marshal()); err != nil {
			return err
		}
		var g [8]byte
		binary.BigEndian.PutUint64(g[:], ss.Generation())
		return tx.Bucket(bucketGens).Put([]byte(p), g[:])
	})
}

// send encrypts data for peer p (starting a session from p's prekey
// bundle if there is none), stores the session, and delivers the message;
// it returns once p has decrypted it. The lock is held only while the
// session state changes, never across the network, so that two nodes
// sending to each other at once do not wait on each other.
func (s *sessionService) send(ctx context.Context, p peer.ID, data []byte) (string, error) {
	s.mu.Lock()
	have := s.sessions[p] != nil
	s.mu.Unlock()
	var bundle []byte
	if !have {
		var err error
		if bundle, err = s.request(ctx, p, sessionKindBundle, nil); err != nil {
			return "", fmt.Errorf("%w: prekey bundle of %s: %w", ErrSession, p, err)
		}
	}
	msg, err := s.encrypt(p, bundle, data)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(msg)
	id := hex.EncodeToString(sum[:16])
	s.n.trace.emit(trace.Event{Layer: "session", Kind: trace.KindSend, MsgID: id, Peer: p.String(), Bytes: len(msg)})
	st, err := s.request(ctx, p, sessionKindMessage, msg)
	if err != nil {
		return id, fmt.Errorf("%w: delivering to %s: %w", ErrSession, p, err)
	}
	if len(st) != 1 || st[0] != 0 {
		return id, fmt.Errorf("%w: %s did not accept the message", ErrSession, p)
	}
	return id, nil
}

// encrypt encrypts data with p's session, started from bundle if there is
// still none (another message may have started one meanwhile), and stores
// the new state before the message can leave, so that a crash never
// reuses a message key.
func (s *sessionService) encrypt(p peer.ID, bundle, data []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[p]
	if ss == nil {
		if bundle == nil {
			return nil, fmt.Errorf("%w: the session with %s is gone", ErrSession, p)
		}
		var err error
		if ss, err = session.Initiate(rand.Reader, s.dev, bundle); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSession, err)
		}
	}
	msg, err := ss.Encrypt(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSession, err)
	}
	if err := s.persist(p, ss); err != nil {
		return nil, fmt.Errorf("%w: store: %w", ErrSession, err)
	}
	s.sessions[p] = ss
	return msg, nil
}

// request opens a stream to p, sends one request and reads the answer.
func (s *sessionService) request(ctx context.Context, p peer.ID, kind byte, payload []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := s.n.ov.Host.NewStream(ctx, p, SessionProtocol)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if d, ok := ctx.Deadline(); ok {
		st.SetDeadline(d)
	}
	req := make([]byte, 5, 5+len(payload))
	req[0] = kind
	binary.BigEndian.PutUint32(req[1:], uint32(len(payload)))
	if _, err := st.Write(append(req, payload...)); err != nil {
		return nil, err
	}
	r := bufio.NewReader(st)
	if kind == sessionKindMessage {
		b, err := r.ReadByte()
		return []byte{b}, err
	}
	return readBounded(r)
}

func readBounded(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > maxSessionPayload {
		return nil, fmt.Errorf("%w: length %d over %d", ErrSession, size, maxSessionPayload)
	}
	b := make([]byte, size)
	_, err := io.ReadFull(r, b)
	return b, err
}

// handle answers one request from another node.
func (s *sessionService) handle(st network.Stream) {
	defer st.Close()
	st.SetDeadline(time.Now().Add(10 * time.Second))
	p := st.Conn().RemotePeer()
	r := bufio.NewReader(st)
	kind, err := r.ReadByte()
	if err != nil {
		return
	}
	payload, err := readBounded(r)
	if err != nil {
		s.n.trace.emit(trace.Event{Layer: "session", Kind: trace.KindDrop, Reason: trace.ReasonMalformed, Peer: p.String(), Detail: err.Error()})
		st.Reset()
		return
	}
	switch kind {
	case sessionKindBundle:
		s.mu.Lock()
		b, err := s.dev.Bundle()
		s.mu.Unlock()
		if err != nil {
			st.Reset()
			return
		}
		out := make([]byte, 4, 4+len(b))
		binary.BigEndian.PutUint32(out, uint32(len(b)))
		st.Write(append(out, b...))
	case sessionKindMessage:
		status := byte(0)
		if err := s.receive(p, payload); err != nil {
			status = 1
		}
		st.Write([]byte{status})
	default:
		s.n.trace.emit(trace.Event{Layer: "session", Kind: trace.KindDrop, Reason: trace.ReasonMalformed, Peer: p.String(), Detail: fmt.Sprintf("request kind %d", kind)})
		st.Reset()
	}
}

// receive decrypts a message from p (answering an initial message with a
// new session), stores the session, then delivers the plaintext.
func (s *sessionService) receive(p peer.ID, msg []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	sum := sha256.Sum256(msg)
	id := hex.EncodeToString(sum[:16])
	var pt []byte
	ss := s.sessions[p]
	var err error
	switch {
	case ss == nil:
		ss, pt, err = s.dev.Respond(rand.Reader, s.cfg, now, msg)
	default:
		pt, err = ss.Decrypt(rand.Reader, s.cfg, now, msg)
		// A message the session cannot open may start a new session: the
		// peer lost its state, or both nodes started one at once. A node
		// that answered the current session takes the new one; a node
		// that initiated it takes it only from a peer whose id sorts
		// lower, so that two crossing starts settle on one session.
		if err != nil && (!ss.Initiator() || p < s.n.ov.Host.ID()) {
			if ns, npt, rerr := s.dev.Respond(rand.Reader, s.cfg, now, msg); rerr == nil {
				ss, pt, err = ns, npt, nil
			}
		}
	}
	if err == nil {
		if err = s.persist(p, ss); err == nil {
			s.sessions[p] = ss
		}
	}
	if err != nil {
		reason := trace.ReasonInvalid
		switch {
		case errors.Is(err, session.ErrDuplicate), errors.Is(err, session.ErrRollback):
			reason = trace.ReasonReplay
		case errors.Is(err, session.ErrMalformed), errors.Is(err, session.ErrVersion):
			reason = trace.ReasonMalformed
		}
		s.n.trace.emit(trace.Event{Time: now, Layer: "session", Kind: trace.KindDrop, Reason: reason, MsgID: id, Peer: p.String(), Bytes: len(msg), Detail: session.ErrorName(err)})
		return err
	}
	s.n.trace.emit(trace.Event{Time: now, Layer: "session", Kind: trace.KindDeliver, MsgID: id, Peer: p.String(), Bytes: len(pt)})
	s.n.inbox.add(Delivery{Time: now, Kind: "session", ID: id, From: p.String(), Size: len(pt), Data: pt})
	return nil
}

func (s *sessionService) close() error { return s.db.Close() }
