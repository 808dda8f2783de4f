package main

import (
	"bytes"
	"net/http"
	"testing"
)

// TestReadAtBodies: with ReadAt (-readat) the bodies, whole and ranged, are
// the same bytes as with sendfile.
func TestReadAtBodies(t *testing.T) {
	o := testOptions()
	o.ReadAt = true
	e := newEnv(t, o)
	data := randBytes(300_000, 7)
	resp, _ := e.do("PUT", "/a.bin", data)
	wantStatus(t, "PUT", resp, http.StatusCreated)

	resp, body := e.do("GET", "/a.bin", nil)
	wantStatus(t, "GET", resp, http.StatusOK)
	if !bytes.Equal(body, data) {
		t.Fatalf("GET: %d bytes that differ from the %d uploaded", len(body), len(data))
	}
	resp, body = e.do("GET", "/a.bin", nil, "Range", "bytes=100000-200009")
	wantStatus(t, "GET Range", resp, http.StatusPartialContent)
	if !bytes.Equal(body, data[100000:200010]) {
		t.Fatalf("GET Range: %d bytes that differ from the range asked", len(body))
	}
}
