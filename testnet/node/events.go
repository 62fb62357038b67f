package node

import (
	"os"
	"time"

	"github.com/strata-lab/strata/internal/trace"
)

func traceSend(t time.Time, id string, size int, topic string) trace.Event {
	return trace.Event{Time: t, Layer: "overlay", Kind: trace.KindSend, MsgID: id, Bytes: size, Detail: "publish " + topic}
}

func traceState(detail string) trace.Event {
	return trace.Event{Layer: "node", Kind: trace.KindState, Detail: detail}
}

func osPID() int { return os.Getpid() }
