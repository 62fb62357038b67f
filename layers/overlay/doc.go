// Package overlay implements Strata's p2p overlay layer: libp2p hosts (TCP
// and QUIC, Noise, yamux) with a persisted identity, gossipsub v1.1 with an
// explicit peer-score parameter set, topic naming and validation, peer
// exchange, direct peers, a connection manager, explicit resource-manager
// limits, and discovery by static bootstrap and by a Kademlia DHT.
//
// The overlay defines no wire format of its own: it speaks libp2p's and
// gossipsub's. What it does define, and what SPEC.md specifies so that
// another implementation can interoperate with a Strata network, is:
//
//   - the message-id function (MessageID): content-addressed, no author;
//   - the topic names (TopicName, ParseTopic);
//   - the per-topic validation rules (Validate);
//   - the gossipsub parameters and the peer-score parameter set
//     (DefaultParams), every number in params.go with the reason for it.
//
// The pure parts (ids, topics, validation, parameters) are sans-I/O and
// covered by the test vectors in testdata/vectors. Host construction
// (NewHost) is the I/O shell that testnet/node runs.
package overlay
