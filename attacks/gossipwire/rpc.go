package gossipwire

import (
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"google.golang.org/protobuf/proto"
)

// Subscribe returns an RPC announcing subscriptions to topics.
func Subscribe(topics ...string) *pb.RPC {
	rpc := &pb.RPC{}
	for _, t := range topics {
		rpc.Subscriptions = append(rpc.Subscriptions, &pb.RPC_SubOpts{Subscribe: proto.Bool(true), Topicid: proto.String(t)})
	}
	return rpc
}

// Graft returns an RPC asking to join the receiver's mesh for topic.
func Graft(topic string) *pb.RPC {
	return &pb.RPC{Control: &pb.ControlMessage{Graft: []*pb.ControlGraft{{TopicID: proto.String(topic)}}}}
}

// Prune returns an RPC leaving the receiver's mesh for topic, asking it to
// back off for backoffSeconds (0: none stated).
func Prune(topic string, backoffSeconds uint64) *pb.RPC {
	pr := &pb.ControlPrune{TopicID: proto.String(topic)}
	if backoffSeconds > 0 {
		pr.Backoff = proto.Uint64(backoffSeconds)
	}
	return &pb.RPC{Control: &pb.ControlMessage{Prune: []*pb.ControlPrune{pr}}}
}

// IHave returns an RPC advertising message ids on topic.
func IHave(topic string, ids []string) *pb.RPC {
	return &pb.RPC{Control: &pb.ControlMessage{Ihave: []*pb.ControlIHave{{TopicID: proto.String(topic), MessageIDs: ids}}}}
}

// IWant returns an RPC requesting message ids.
func IWant(ids []string) *pb.RPC {
	return &pb.RPC{Control: &pb.ControlMessage{Iwant: []*pb.ControlIWant{{MessageIDs: ids}}}}
}

// IDontWant returns an RPC telling the receiver not to send message ids
// (meshsub 1.2).
func IDontWant(ids []string) *pb.RPC {
	return &pb.RPC{Control: &pb.ControlMessage{Idontwant: []*pb.ControlIDontWant{{MessageIDs: ids}}}}
}

// Publish returns an RPC carrying messages with data on topic, unsigned
// and without author or sequence number (Strata's StrictNoSign policy).
func Publish(topic string, data ...[]byte) *pb.RPC {
	rpc := &pb.RPC{}
	for _, d := range data {
		rpc.Publish = append(rpc.Publish, &pb.Message{Topic: proto.String(topic), Data: d})
	}
	return rpc
}
