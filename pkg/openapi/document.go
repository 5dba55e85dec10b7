package openapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	openapiv2 "github.com/google/gnostic-models/openapiv2"
	openapiv3 "github.com/google/gnostic-models/openapiv3"
	"google.golang.org/protobuf/proto"
)

// document is one rendered document. Its JSON and ETag are set when it is
// built; the protobuf and gzip forms are made on first request and kept,
// so a change to the API costs one JSON rendering and serving costs none.
type document struct {
	json     []byte
	etag     string // unquoted, as in the ?hash= of OpenAPI v3 URLs
	modified time.Time
	toProto  func([]byte) ([]byte, error) // nil: JSON only

	protoOnce sync.Once
	proto     []byte
	protoErr  error

	gzipOnce    sync.Once
	jsonGzip    []byte
	protoGzOnce sync.Once
	protoGzip   []byte
}

func newDocument(json []byte, toProto func([]byte) ([]byte, error)) *document {
	return &document{json: json, etag: etagOf(json), modified: time.Now(), toProto: toProto}
}

// etagOf returns the hash kube-apiserver uses as ETag and ?hash=: the
// upper-case hex SHA-512 of the JSON form.
func etagOf(data []byte) string {
	sum := sha512.Sum512(data)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// body returns the document in the asked form: JSON or protobuf, plain or
// gzip-compressed.
func (d *document) body(protobuf, compressed bool) ([]byte, error) {
	if !protobuf {
		if !compressed {
			return d.json, nil
		}
		d.gzipOnce.Do(func() { d.jsonGzip = gzipBytes(d.json) })
		return d.jsonGzip, nil
	}
	d.protoOnce.Do(func() { d.proto, d.protoErr = d.toProto(d.json) })
	if d.protoErr != nil || !compressed {
		return d.proto, d.protoErr
	}
	d.protoGzOnce.Do(func() { d.protoGzip = gzipBytes(d.proto) })
	return d.protoGzip, nil
}

func gzipBytes(data []byte) []byte {
	var buf bytes.Buffer
	// BestSpeed: the result is kept, but it is made while a client waits.
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	_, _ = zw.Write(data)
	_ = zw.Close()
	return buf.Bytes()
}

// v2Proto converts a Swagger 2.0 JSON document to gnostic's protobuf form,
// the one client-go's OpenAPISchema asks for.
func v2Proto(json []byte) ([]byte, error) {
	doc, err := openapiv2.ParseDocument(json)
	if err != nil {
		return nil, fmt.Errorf("parsing the OpenAPI v2 document: %w", err)
	}
	return proto.Marshal(doc)
}

// v3Proto converts an OpenAPI 3.0 JSON document to gnostic's protobuf form.
func v3Proto(json []byte) ([]byte, error) {
	doc, err := openapiv3.ParseDocument(json)
	if err != nil {
		return nil, fmt.Errorf("parsing the OpenAPI v3 document: %w", err)
	}
	return proto.Marshal(doc)
}
