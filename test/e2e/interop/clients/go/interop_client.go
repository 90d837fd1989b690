// Interop client: Go net/http with the default transport's settings (a clone of
// http.DefaultTransport given the client certificate and the CA). It reads the BatchSpec as
// JSON on stdin, sends each cell one request at a time (each waits for its answer) and prints
// the BatchReport as JSON on stdout. Standard library only, so it builds with nothing fetched.
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"runtime"
	"time"
)

type cellSpec struct {
	Name      string `json:"name"`
	Path      string `json:"path"`
	BodyFile  string `json:"bodyFile"`
	IsChunked bool   `json:"isChunked"`
	Repeat    int    `json:"repeat"`
}

type batchSpec struct {
	BaseURL          string     `json:"baseUrl"`
	CAFile           string     `json:"caFile"`
	CertFile         string     `json:"certFile"`
	KeyFile          string     `json:"keyFile"`
	RequestTimeoutMs int        `json:"requestTimeoutMs"`
	ExpectContinue   bool       `json:"expectContinue"`
	Cells            []cellSpec `json:"cells"`
}

type outcome struct {
	Cell            string  `json:"cell"`
	Status          int     `json:"status"`
	Error           *string `json:"error"`
	BodyHead        string  `json:"bodyHead"`
	Connection      *string `json:"connection"`
	IsNewConnection *bool   `json:"isNewConnection"`
	Protocol        *string `json:"protocol"`
}

type report struct {
	Client   string    `json:"client"`
	Version  string    `json:"version"`
	Outcomes []outcome `json:"outcomes"`
}

// chunkedReader hides the body's length: net/http then sends it chunked (ContentLength -1).
type chunkedReader struct{ r io.Reader }

func (c chunkedReader) Read(p []byte) (int, error) { return c.r.Read(p) }

func headOf(b []byte) string {
	const limit = 160
	flat := []rune{}
	for _, c := range string(b) {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		flat = append(flat, c)
		if len(flat) > limit {
			return string(flat[:limit]) + "..."
		}
	}
	return string(flat)
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "interop_client: "+format+"\n", args...)
	os.Exit(2)
}

func newClient(spec batchSpec) *http.Client {
	caPem, err := os.ReadFile(spec.CAFile)
	if err != nil {
		fail("reading the CA: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPem) {
		fail("no certificate in %s", spec.CAFile)
	}
	// An empty certFile: the client has no certificate (the refused rows).
	certificates := []tls.Certificate{}
	if spec.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(spec.CertFile, spec.KeyFile)
		if err != nil {
			fail("loading the client certificate: %v", err)
		}
		certificates = append(certificates, pair)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{RootCAs: roots, Certificates: certificates}
	return &http.Client{Transport: transport, Timeout: time.Duration(spec.RequestTimeoutMs) * time.Millisecond}
}

func send(client *http.Client, spec batchSpec, cell cellSpec, body []byte) outcome {
	var connection *string
	var isNew *bool
	// httptrace says which connection each request got and whether it was reused.
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		_, port, err := net.SplitHostPort(info.Conn.LocalAddr().String())
		if err != nil {
			port = info.Conn.LocalAddr().String()
		}
		fresh := !info.Reused
		connection, isNew = &port, &fresh
	}}
	var reader io.Reader = bytes.NewReader(body)
	if cell.IsChunked {
		reader = chunkedReader{reader}
	}
	req, err := http.NewRequest(http.MethodPost, spec.BaseURL+cell.Path, reader)
	if err != nil {
		fail("building a request: %v", err)
	}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	req.Header.Set("Content-Type", "application/json")
	if spec.ExpectContinue {
		req.Header.Set("Expect", "100-continue")
	}
	out := outcome{Cell: cell.Name}
	res, err := client.Do(req)
	if err == nil {
		var answer []byte
		answer, err = io.ReadAll(res.Body)
		res.Body.Close()
		out.Status = res.StatusCode
		out.BodyHead = headOf(answer)
		proto := res.Proto
		out.Protocol = &proto
	}
	if err != nil {
		text := err.Error()
		out.Error = &text
	}
	out.Connection, out.IsNewConnection = connection, isNew
	return out
}

func main() {
	var spec batchSpec
	if err := json.NewDecoder(os.Stdin).Decode(&spec); err != nil {
		fail("reading the spec on stdin: %v", err)
	}
	client := newClient(spec)
	name := "go net/http"
	if spec.ExpectContinue {
		name += " (Expect: 100-continue)"
	}
	rep := report{Client: name, Version: runtime.Version(), Outcomes: []outcome{}}
	for _, cell := range spec.Cells {
		body, err := os.ReadFile(cell.BodyFile)
		if err != nil {
			fail("reading %s: %v", cell.BodyFile, err)
		}
		for i := 0; i < cell.Repeat; i++ {
			rep.Outcomes = append(rep.Outcomes, send(client, spec, cell, body))
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		fail("writing the report: %v", err)
	}
}
