package overlay

import (
	"fmt"
	"math"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Params is the complete gossipsub and peer-score parameter set of a Strata
// overlay (SPEC.md, "Parameters"). Every number a node uses is here; the
// vectors in testdata/vectors/params.json pin DefaultParams, so a change to
// any of them is a visible change of the specification.
type Params struct {
	Gossip     GossipParams `json:"gossip"`
	Score      ScoreParams  `json:"score"`
	Thresholds Thresholds   `json:"thresholds"`
	// MaxMessageBytes bounds a message's data on every topic.
	MaxMessageBytes int `json:"max_message_bytes"`
	// SeenTTL is how long a message id is remembered for deduplication.
	SeenTTL Duration `json:"seen_ttl"`
}

// GossipParams are the mesh and gossip parameters (gossipsub v1.1 names).
type GossipParams struct {
	D, Dlo, Dhi, Dscore, Dout, Dlazy int
	GossipFactor                     float64
	HistoryLength, HistoryGossip     int
	GossipRetransmission             int
	Heartbeat                        Duration
	FanoutTTL                        Duration
	PrunePeers                       int
	PruneBackoff                     Duration
	UnsubscribeBackoff               Duration
	GraftFloodThreshold              Duration
	MaxIHaveLength, MaxIHaveMessages int
	IWantFollowupTime                Duration
	OpportunisticGraftTicks          int
	DirectConnectTicks               int
	FloodPublish                     bool
	PeerExchange                     bool
}

// TopicScore are the per-topic score parameters (P1-P4), the same for every
// Strata topic.
type TopicScore struct {
	TopicWeight float64
	// P1, time in mesh.
	TimeInMeshWeight  float64
	TimeInMeshQuantum Duration
	TimeInMeshCap     float64
	// P2, first message deliveries.
	FirstDeliveriesWeight, FirstDeliveriesDecay, FirstDeliveriesCap float64
	// P3 and P3b, mesh message delivery deficit. Zero weights: off
	// (SPEC.md, "Trade-offs").
	MeshDeliveriesWeight, MeshFailurePenaltyWeight float64
	// P4, invalid messages.
	InvalidWeight, InvalidDecay float64
}

// ScoreParams are the peer-level score parameters (P5-P7, caps, decay).
type ScoreParams struct {
	Topic         TopicScore
	TopicScoreCap float64
	// P5, application-specific score; the node supplies the function.
	AppSpecificWeight float64
	// P6, IP colocation.
	ColocationWeight    float64
	ColocationThreshold int
	// P7, behaviour penalty.
	BehaviourWeight, BehaviourThreshold, BehaviourDecay float64
	DecayInterval                                       Duration
	DecayToZero                                         float64
	RetainScore                                         Duration
}

// Thresholds are the score thresholds of gossipsub v1.1.
type Thresholds struct {
	Gossip, Publish, Graylist, AcceptPX, OpportunisticGraft float64
}

// Specification constants of the default parameter set. Each names the
// quantity it bounds and why it has its value; DefaultParams assembles them.
const (
	// Mesh degree: gossipsub's defaults (D=6, Dlo=5, Dhi=12, Dout=2,
	// Dscore=4, Dlazy=6). Waku's relay uses D=6 too; the hardening study's
	// 1000-node runs used D=8 at 120 msg/s, a rate Strata topics do not have.
	paramD, paramDlo, paramDhi, paramDscore, paramDout, paramDlazy = 6, 5, 12, 4, 2, 6
	// Gossip to at least Dlazy peers or a quarter of the rest, over the last
	// 3 of 5 heartbeats of history (spec defaults).
	paramGossipFactor                = 0.25
	paramHistoryLength               = 5
	paramHistoryGossip               = 3
	paramGossipRetransmission        = 3
	paramHeartbeat                   = time.Second
	paramFanoutTTL                   = time.Minute
	paramPrunePeers                  = 16
	paramPruneBackoff                = time.Minute
	paramUnsubscribeBackoff          = 10 * time.Second
	paramGraftFloodThreshold         = 10 * time.Second
	paramMaxIHaveLength              = 5000
	paramMaxIHaveMessages            = 10
	paramIWantFollowupTime           = 3 * time.Second
	paramOpportunisticGraftTicks     = 60
	paramDirectConnectTicks          = 300
	paramMaxMessageBytes             = 1<<20 + 4096 // a full sync frame (1 MiB) plus an envelope
	paramSeenTTL                     = 2 * time.Minute
	paramTopicWeight                 = 1.0 // every Strata topic counts the same
	paramTimeInMeshQuantum           = time.Second
	paramTimeInMeshCap               = 300.0 // five minutes in the mesh earn the full P1
	paramTimeInMeshWeight            = 10.0 / paramTimeInMeshCap
	paramFirstDeliveriesWeight       = 1.0
	paramFirstDeliveriesCap          = 20.0
	paramFirstDeliveriesDecayTime    = 10 * time.Minute
	paramInvalidWeight               = -50.0
	paramInvalidDecayTime            = time.Hour
	paramTopicScoreCap               = 30.0 // P1 (10) + P2 (20): positive topic score is bounded
	paramAppSpecificWeight           = 1.0
	paramColocationWeight            = -50.0
	paramColocationThreshold         = 3
	paramBehaviourWeight             = -10.0
	paramBehaviourThreshold          = 6.0
	paramBehaviourDecayTime          = 10 * time.Minute
	paramDecayInterval               = time.Second
	paramDecayToZero                 = 0.01
	paramRetainScore                 = 10 * time.Minute
	paramGossipThreshold             = -1000.0
	paramPublishThreshold            = -2500.0
	paramGraylistThreshold           = -10000.0
	paramAcceptPXThreshold           = 5.0
	paramOpportunisticGraftThreshold = 3.0
)

// DefaultParams returns the parameter set of a Strata overlay. The reasons,
// in the order of the fields:
//
//   - Mesh and gossip: gossipsub's defaults, which the v1.1 evaluation
//     tested against Sybil, eclipse and flash attacks; flood publishing on
//     (the spec's defence against eclipse of publishers); peer exchange on,
//     so that pruned peers learn replacements.
//   - P1 time in mesh: +10 at most, reached after five minutes, so a
//     stable mesh peer is not pruned for a newcomer but time alone cannot
//     offset a single invalid message (−50).
//   - P2 first deliveries: +1 per message a peer delivers first, capped at
//     20 and decaying to 1% over ten minutes: rewards peers that forward.
//   - P3 and P3b mesh delivery deficit: off. Their threshold depends on a
//     topic's message rate, which differs by deployment and scenario; a
//     threshold above a quiet topic's rate prunes honest peers. The
//     defence they give against covert censors is lost (SPEC.md,
//     "Trade-offs").
//   - P4 invalid messages: −50 per count squared, decaying over an hour:
//     5 invalid messages (−1250) drop below the gossip threshold, 8
//     (−3200) below publish, 15 (−11250) below graylist.
//   - Topic score cap 30: the positive topic score (P1+P2) is bounded so a
//     long-lived peer cannot bank credit for later misbehaviour.
//   - P6 IP colocation: −50 per squared peer above 3 per IP (carrier-grade
//     NAT and households share addresses): 8 peers on one IP reach the
//     gossip threshold, 18 the graylist. Testnets must give every node its
//     own address, or every node is penalised.
//   - P7 behaviour (re-GRAFT during backoff, broken IHAVE promises): −10
//     per squared count above 6, decaying over ten minutes.
//   - Scores decay every second to 1%, and a disconnected peer's score is
//     kept ten minutes, so reconnecting does not wash penalties.
//   - Thresholds −1000 / −2500 / −10000 (gossip, publish, graylist) lie
//     far below the largest positive score (30 + P5), so only penalties
//     cross them; accept PX only from peers above +5 (a peer that has
//     forwarded messages or stayed in the mesh), graft opportunistically
//     when the median mesh score is below +3.
func DefaultParams() Params {
	return Params{
		Gossip: GossipParams{
			D: paramD, Dlo: paramDlo, Dhi: paramDhi, Dscore: paramDscore, Dout: paramDout, Dlazy: paramDlazy,
			GossipFactor:  paramGossipFactor,
			HistoryLength: paramHistoryLength, HistoryGossip: paramHistoryGossip,
			GossipRetransmission:    paramGossipRetransmission,
			Heartbeat:               Duration(paramHeartbeat),
			FanoutTTL:               Duration(paramFanoutTTL),
			PrunePeers:              paramPrunePeers,
			PruneBackoff:            Duration(paramPruneBackoff),
			UnsubscribeBackoff:      Duration(paramUnsubscribeBackoff),
			GraftFloodThreshold:     Duration(paramGraftFloodThreshold),
			MaxIHaveLength:          paramMaxIHaveLength,
			MaxIHaveMessages:        paramMaxIHaveMessages,
			IWantFollowupTime:       Duration(paramIWantFollowupTime),
			OpportunisticGraftTicks: paramOpportunisticGraftTicks,
			DirectConnectTicks:      paramDirectConnectTicks,
			FloodPublish:            true,
			PeerExchange:            true,
		},
		Score: ScoreParams{
			Topic: TopicScore{
				TopicWeight:           paramTopicWeight,
				TimeInMeshWeight:      paramTimeInMeshWeight,
				TimeInMeshQuantum:     Duration(paramTimeInMeshQuantum),
				TimeInMeshCap:         paramTimeInMeshCap,
				FirstDeliveriesWeight: paramFirstDeliveriesWeight,
				FirstDeliveriesDecay:  decayFactor(paramFirstDeliveriesDecayTime),
				FirstDeliveriesCap:    paramFirstDeliveriesCap,
				InvalidWeight:         paramInvalidWeight,
				InvalidDecay:          decayFactor(paramInvalidDecayTime),
			},
			TopicScoreCap:       paramTopicScoreCap,
			AppSpecificWeight:   paramAppSpecificWeight,
			ColocationWeight:    paramColocationWeight,
			ColocationThreshold: paramColocationThreshold,
			BehaviourWeight:     paramBehaviourWeight,
			BehaviourThreshold:  paramBehaviourThreshold,
			BehaviourDecay:      decayFactor(paramBehaviourDecayTime),
			DecayInterval:       Duration(paramDecayInterval),
			DecayToZero:         paramDecayToZero,
			RetainScore:         Duration(paramRetainScore),
		},
		Thresholds: Thresholds{
			Gossip: paramGossipThreshold, Publish: paramPublishThreshold, Graylist: paramGraylistThreshold,
			AcceptPX: paramAcceptPXThreshold, OpportunisticGraft: paramOpportunisticGraftThreshold,
		},
		MaxMessageBytes: paramMaxMessageBytes,
		SeenTTL:         Duration(paramSeenTTL),
	}
}

// decayFactor is the per-interval factor that decays a counter to
// paramDecayToZero over d: DecayToZero^(DecayInterval/d), rounded to 12
// significant digits so that the value is the same on every platform.
func decayFactor(d time.Duration) float64 {
	f := math.Pow(paramDecayToZero, float64(paramDecayInterval)/float64(d))
	return roundSig(f, 12)
}

func roundSig(x float64, digits int) float64 {
	if x == 0 {
		return 0
	}
	p := math.Pow(10, float64(digits)-math.Ceil(math.Log10(math.Abs(x))))
	return math.Round(x*p) / p
}

// Validate checks the relations gossipsub v1.1 requires between the
// parameters (SPEC.md, "Parameters"); it returns ErrConfig naming the first
// that fails.
func (p Params) Validate() error {
	g, s, t := p.Gossip, p.Score, p.Thresholds
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: Params.%s", ErrConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case g.D < 1 || g.Dlo < 1 || g.Dlo > g.D || g.D > g.Dhi:
		return bad("Gossip: need 1 ≤ Dlo ≤ D ≤ Dhi, have Dlo=%d D=%d Dhi=%d", g.Dlo, g.D, g.Dhi)
	case g.Dout < 0 || g.Dout >= g.Dlo || g.Dout > g.D/2:
		return bad("Gossip.Dout=%d: need Dout < Dlo and Dout ≤ D/2", g.Dout)
	case g.Dscore < 0 || g.Dscore > g.D:
		return bad("Gossip.Dscore=%d: need 0 ≤ Dscore ≤ D", g.Dscore)
	case g.Dlazy < 0 || g.GossipFactor < 0 || g.GossipFactor > 1:
		return bad("Gossip: Dlazy=%d GossipFactor=%g out of range", g.Dlazy, g.GossipFactor)
	case g.HistoryGossip < 1 || g.HistoryGossip > g.HistoryLength:
		return bad("Gossip: need 1 ≤ HistoryGossip ≤ HistoryLength, have %d and %d", g.HistoryGossip, g.HistoryLength)
	case g.Heartbeat <= 0 || g.PruneBackoff <= 0 || g.FanoutTTL <= 0 || g.IWantFollowupTime <= 0:
		return bad("Gossip: Heartbeat, PruneBackoff, FanoutTTL and IWantFollowupTime must be positive")
	case p.MaxMessageBytes < 1:
		return bad("MaxMessageBytes=%d must be positive", p.MaxMessageBytes)
	case p.SeenTTL <= 0:
		return bad("SeenTTL must be positive")
	case s.Topic.TopicWeight < 0 || s.Topic.TimeInMeshWeight < 0 || s.Topic.FirstDeliveriesWeight < 0:
		return bad("Score.Topic: TopicWeight, TimeInMeshWeight and FirstDeliveriesWeight must be ≥ 0")
	case s.Topic.MeshDeliveriesWeight > 0 || s.Topic.MeshFailurePenaltyWeight > 0 || s.Topic.InvalidWeight > 0:
		return bad("Score.Topic: penalty weights (P3, P3b, P4) must be ≤ 0")
	case s.Topic.MeshDeliveriesWeight != 0 || s.Topic.MeshFailurePenaltyWeight != 0:
		return bad("Score.Topic: P3 and P3b are not supported by this parameter set (weights must be 0)")
	case s.Topic.TimeInMeshWeight > 0 && (s.Topic.TimeInMeshQuantum <= 0 || s.Topic.TimeInMeshCap <= 0):
		return bad("Score.Topic: P1 needs a positive quantum and cap")
	case !decayOK(s.Topic.FirstDeliveriesDecay) || !decayOK(s.Topic.InvalidDecay) || !decayOK(s.BehaviourDecay):
		return bad("Score: decay factors must lie in (0,1)")
	case s.Topic.FirstDeliveriesWeight > 0 && s.Topic.FirstDeliveriesCap <= 0:
		return bad("Score.Topic.FirstDeliveriesCap must be positive")
	case s.TopicScoreCap < 0 || s.ColocationWeight > 0 || s.BehaviourWeight > 0 || s.BehaviourThreshold < 0:
		return bad("Score: TopicScoreCap ≥ 0, ColocationWeight ≤ 0, BehaviourWeight ≤ 0, BehaviourThreshold ≥ 0")
	case s.ColocationWeight != 0 && s.ColocationThreshold < 1:
		return bad("Score.ColocationThreshold=%d must be ≥ 1", s.ColocationThreshold)
	case s.DecayInterval < Duration(time.Second) || s.DecayToZero <= 0 || s.DecayToZero >= 1:
		return bad("Score: DecayInterval ≥ 1s and DecayToZero in (0,1)")
	case t.Gossip > 0 || t.Publish > t.Gossip || t.Graylist > t.Publish:
		return bad("Thresholds: need Graylist ≤ Publish ≤ Gossip ≤ 0, have %g, %g, %g", t.Graylist, t.Publish, t.Gossip)
	case t.AcceptPX < 0 || t.OpportunisticGraft < 0:
		return bad("Thresholds: AcceptPX and OpportunisticGraft must be ≥ 0")
	}
	return nil
}

func decayOK(f float64) bool { return f > 0 && f < 1 }

// gossipSub converts the mesh and gossip parameters.
func (g GossipParams) gossipSub() pubsub.GossipSubParams {
	p := pubsub.DefaultGossipSubParams()
	p.D, p.Dlo, p.Dhi, p.Dscore, p.Dout, p.Dlazy = g.D, g.Dlo, g.Dhi, g.Dscore, g.Dout, g.Dlazy
	p.GossipFactor = g.GossipFactor
	p.HistoryLength, p.HistoryGossip = g.HistoryLength, g.HistoryGossip
	p.GossipRetransmission = g.GossipRetransmission
	p.HeartbeatInterval = time.Duration(g.Heartbeat)
	p.FanoutTTL = time.Duration(g.FanoutTTL)
	p.PrunePeers = g.PrunePeers
	p.PruneBackoff = time.Duration(g.PruneBackoff)
	p.UnsubscribeBackoff = time.Duration(g.UnsubscribeBackoff)
	p.GraftFloodThreshold = time.Duration(g.GraftFloodThreshold)
	p.MaxIHaveLength, p.MaxIHaveMessages = g.MaxIHaveLength, g.MaxIHaveMessages
	p.IWantFollowupTime = time.Duration(g.IWantFollowupTime)
	p.OpportunisticGraftTicks = uint64(g.OpportunisticGraftTicks)
	p.DirectConnectTicks = uint64(g.DirectConnectTicks)
	return p
}

// peerScore converts the score parameters for the given topics; app is the
// P5 function (nil: 0 for every peer).
func (s ScoreParams) peerScore(topics []string, app func(peer.ID) float64) *pubsub.PeerScoreParams {
	if app == nil {
		app = func(peer.ID) float64 { return 0 }
	}
	ts := s.Topic
	out := &pubsub.PeerScoreParams{
		Topics:                      map[string]*pubsub.TopicScoreParams{},
		TopicScoreCap:               s.TopicScoreCap,
		AppSpecificScore:            app,
		AppSpecificWeight:           s.AppSpecificWeight,
		IPColocationFactorWeight:    s.ColocationWeight,
		IPColocationFactorThreshold: s.ColocationThreshold,
		BehaviourPenaltyWeight:      s.BehaviourWeight,
		BehaviourPenaltyThreshold:   s.BehaviourThreshold,
		BehaviourPenaltyDecay:       s.BehaviourDecay,
		DecayInterval:               time.Duration(s.DecayInterval),
		DecayToZero:                 s.DecayToZero,
		RetainScore:                 time.Duration(s.RetainScore),
	}
	for _, t := range topics {
		out.Topics[t] = &pubsub.TopicScoreParams{
			// P3 and P3b are off: their zero values are dismissed only in
			// non-atomic validation.
			SkipAtomicValidation:           true,
			TopicWeight:                    ts.TopicWeight,
			TimeInMeshWeight:               ts.TimeInMeshWeight,
			TimeInMeshQuantum:              time.Duration(ts.TimeInMeshQuantum),
			TimeInMeshCap:                  ts.TimeInMeshCap,
			FirstMessageDeliveriesWeight:   ts.FirstDeliveriesWeight,
			FirstMessageDeliveriesDecay:    ts.FirstDeliveriesDecay,
			FirstMessageDeliveriesCap:      ts.FirstDeliveriesCap,
			InvalidMessageDeliveriesWeight: ts.InvalidWeight,
			InvalidMessageDeliveriesDecay:  ts.InvalidDecay,
		}
	}
	return out
}

func (t Thresholds) pubsub() *pubsub.PeerScoreThresholds {
	return &pubsub.PeerScoreThresholds{
		GossipThreshold: t.Gossip, PublishThreshold: t.Publish, GraylistThreshold: t.Graylist,
		AcceptPXThreshold: t.AcceptPX, OpportunisticGraftThreshold: t.OpportunisticGraft,
	}
}

// Duration is a time.Duration written in JSON and YAML as Go duration
// text ("1s", "10m0s").
type Duration time.Duration

// MarshalText writes the duration as Go duration text.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText parses Go duration text.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%w: duration %q: %v", ErrConfig, b, err)
	}
	*d = Duration(v)
	return nil
}
