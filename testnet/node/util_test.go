package node

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

func httpPost(url string, in any) (int, error) {
	var body bytes.Buffer
	json.NewEncoder(&body).Encode(in)
	resp, err := http.Post(url, "application/json", &body)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// splitLines returns the "detail" values found in an NDJSON trace.
func splitLines(b []byte) []string {
	var out []string
	for _, l := range bytes.Split(b, []byte("\n")) {
		var e struct {
			Detail string `json:"detail"`
		}
		if json.Unmarshal(l, &e) == nil && e.Detail != "" {
			out = append(out, strings.Fields(e.Detail)[0])
		}
	}
	return out
}
