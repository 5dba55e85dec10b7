package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	"gopkg.in/natefinch/lumberjack.v2"
	"k8s.io/klog/v2"
)

// Sink takes events.
type Sink interface {
	Process(e *Event)
}

// LogOptions say where events go: Path is a file, or "-" for standard
// output; a file rotates at MaxSizeMB (100 when 0), keeping MaxBackups old
// files (all when 0) for MaxAgeDays (forever when 0).
type LogOptions struct {
	Path                              string
	MaxSizeMB, MaxBackups, MaxAgeDays int
}

// Log writes each event as one JSON line, in the order they come: a line
// is written whole before the next begins.
type Log struct {
	mu  sync.Mutex
	out io.Writer
	c   io.Closer
}

// NewLog opens the log o names. The file is created 0600: events hold
// what users sent.
func NewLog(o LogOptions) (*Log, error) {
	if o.Path == "-" {
		return &Log{out: os.Stdout}, nil
	}
	f, err := os.OpenFile(o.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	f.Close()
	lj := &lumberjack.Logger{Filename: o.Path, MaxSize: o.MaxSizeMB, MaxBackups: o.MaxBackups, MaxAge: o.MaxAgeDays}
	return &Log{out: lj, c: lj}, nil
}

// Process implements Sink.
func (l *Log) Process(e *Event) {
	line, err := json.Marshal(e)
	if err != nil {
		klog.ErrorS(err, "Encoding an audit event failed", "auditID", e.AuditID)
		return
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.out.Write(line); err != nil {
		klog.ErrorS(err, "Writing an audit event failed", "auditID", e.AuditID)
	}
}

// Close closes the file.
func (l *Log) Close() error {
	if l.c == nil {
		return nil
	}
	return l.c.Close()
}
