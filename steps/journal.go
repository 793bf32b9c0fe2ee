package steps

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/backupready/backupready/azure"
)

// The journal (DESIGN §4a) records what applying a plan did, beside the plan
// as "<plan file>.journal": one JSON object per line, appended and synced to
// disk before the next change starts, so that a run that is interrupted
// (Ctrl+C, a closed terminal, a crash, kill -9) leaves a journal that says
// exactly what finished and what was still running in Azure. A torn last
// line (the process died while writing it) is ignored.
//
// The journal holds no token or secret: resume tokens name the operation's
// status URL in Azure, which is useless without the user's own sign-in.

// JournalSuffix is appended to the plan file's path.
const JournalSuffix = ".journal"

// Journal record states.
const (
	JournalStarted    = "started"    // a write was sent; its outcome is not known yet
	JournalInProgress = "inProgress" // Azure accepted a long-running operation that is still running
	JournalDone       = "done"
	JournalFailed     = "failed"
	JournalSkipped    = "skipped" // the user chose to skip the change after it failed
)

// JournalEntry is one line of the journal.
type JournalEntry struct {
	Time        time.Time     `json:"time"`
	Action      string        `json:"action"`
	Target      string        `json:"target"`
	State       string        `json:"state"`
	ResumeToken string        `json:"resumeToken,omitempty"` // a long-running operation to wait for again
	Operation   string        `json:"operation,omitempty"`   // backup now: the operation id
	Job         string        `json:"job,omitempty"`         // backup now: the backup job
	Detail      string        `json:"detail,omitempty"`      // the value set, e.g. "LocallyRedundant"
	To          string        `json:"to,omitempty"`          // what a done change set, as its Change.To said (Run Command scripts)
	Seconds     float64       `json:"seconds,omitempty"`     // how long the change took
	Error       *JournalError `json:"error,omitempty"`
}

// JournalError is how a change failed, without raw error text.
type JournalError struct {
	Kind    string `json:"kind"`
	Op      string `json:"op,omitempty"`
	Status  int    `json:"status,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// journalErrorOf keeps the classified parts of an Azure error.
func journalErrorOf(err error) *JournalError {
	if err == nil {
		return nil
	}
	if e, ok := azure.AsError(err); ok {
		return &JournalError{Kind: string(e.Kind), Op: e.Op, Status: e.Status, Code: e.Code, Message: e.Message}
	}
	return &JournalError{Kind: string(azure.KindUnknown)}
}

// Journal is an open journal file. It is safe for concurrent use.
type Journal struct {
	path    string
	mu      sync.Mutex
	f       *os.File
	entries []JournalEntry
	last    map[string]int // action+target → index of its latest entry
	now     func() time.Time
}

func journalKey(action, target string) string { return action + "\x00" + strings.ToLower(target) }

// OpenJournal opens (creating if needed) the journal at path and reads what
// it already holds.
func OpenJournal(path string) (*Journal, error) {
	j := &Journal{path: path, last: map[string]int{}, now: time.Now}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e JournalEntry
		if json.Unmarshal(line, &e) != nil || e.Action == "" {
			continue // a torn or foreign line: what it said did not get recorded
		}
		j.add(e)
	}
	// a torn last line has no newline: start the next record on a line of its own
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data, '\n')
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, err
		}
	}
	j.f, err = os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return j, nil
}

func (j *Journal) add(e JournalEntry) {
	j.entries = append(j.entries, e)
	j.last[journalKey(e.Action, e.Target)] = len(j.entries) - 1
}

// Path is the journal file's path.
func (j *Journal) Path() string { return j.path }

// Record appends an entry and syncs it to disk before returning.
func (j *Journal) Record(e JournalEntry) error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if e.Time.IsZero() {
		e.Time = j.now().UTC()
	}
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	if _, err := j.f.Write(line); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	j.add(e)
	return nil
}

// Last returns the latest entry for a change.
func (j *Journal) Last(action, target string) (JournalEntry, bool) {
	if j == nil {
		return JournalEntry{}, false
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	i, ok := j.last[journalKey(action, target)]
	if !ok {
		return JournalEntry{}, false
	}
	return j.entries[i], true
}

// Entries returns a copy of every entry, oldest first.
func (j *Journal) Entries() []JournalEntry {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]JournalEntry(nil), j.entries...)
}

// Close closes the file.
func (j *Journal) Close() error {
	if j == nil || j.f == nil {
		return nil
	}
	return j.f.Close()
}
