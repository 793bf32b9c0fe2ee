package guest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aymanbagabas/go-udiff"
	"github.com/google/renameio/v2"
)

// The files `guest proxy` manages, as paths on the VM.
const (
	WaagentConf = "/etc/waagent.conf"
	Environment = "/etc/environment"
)

// BackupInfix joins a file's name and the run that backed it up:
// waagent.conf.backupready-20261123T090000Z. A file a run created has a
// marker instead, named like a backup with ".absent" at the end, so that
// --undo knows to remove it.
const BackupInfix = ".backupready-"

const absentSuffix = ".absent"

// Action is what happens to one file.
type Action int

const (
	Unchanged Action = iota // the file already holds what it should
	Modify                  // the file exists and gets new content
	Create                  // the file does not exist yet
	Restore                 // undo: the file gets its backup back
	Remove                  // undo: the file did not exist before backupready wrote it
)

// FileChange is one file of a run: its content before and after.
type FileChange struct {
	Path    string // on the VM, e.g. /etc/waagent.conf
	Action  Action
	Existed bool   // the file exists now
	Old     []byte // the content now (nil when it does not exist)
	New     []byte // the content after the run (nil when it is removed)
	Backup  string // on the VM: the backup made by Apply, or the one Restore puts back

	full       string // Path under the root
	info       fs.FileInfo
	backupFull string // the backup (Modify after Apply; Restore's source)
	markerFull string // the ".absent" marker (Create after Apply; Remove's)
	madeDirs   []string
	replaced   bool // Apply replaced the file
}

// Diff is the unified diff of the change ("" when nothing changes); a file
// that does not exist is /dev/null.
func (fc *FileChange) Diff() string {
	from, to := fc.Path, fc.Path
	if !fc.Existed {
		from = "/dev/null"
	}
	if fc.Action == Remove {
		to = "/dev/null"
	}
	return udiff.Unified(from, to, string(fc.Old), string(fc.New))
}

// Changes are the files of one run of `guest proxy`, or of its --undo.
type Changes struct {
	Root  string
	Unit  string // the agent's systemd service
	Undo  bool
	Run   string // the run: the backups' name suffix (set by Apply, or the run an undo restores)
	Files []*FileChange
}

// Changed reports whether the run changes any file.
func (c *Changes) Changed() bool {
	for _, fc := range c.Files {
		if fc.Action != Unchanged {
			return true
		}
	}
	return false
}

// RunTime is when the run took place (from its name).
func (c *Changes) RunTime() (time.Time, bool) {
	ts, _, _ := strings.Cut(c.Run, "-")
	t, err := time.Parse(runLayout, ts)
	return t, err == nil
}

// FileError is a file that could not be read or written. Kind is one of
// agent-missing (no /etc/waagent.conf: the agent is not installed),
// unreadable, read-only (or in a folder that cannot be written), write.
type FileError struct {
	Kind string
	Path string // on the VM
	Err  error
}

func (e *FileError) Error() string {
	if e.Err != nil {
		return "guest proxy: " + e.Kind + " " + e.Path + ": " + e.Err.Error()
	}
	return "guest proxy: " + e.Kind + " " + e.Path
}

func (e *FileError) Unwrap() error { return e.Err }

// ErrNothingToUndo says that no backup of any managed file exists.
var ErrNothingToUndo = errors.New("guest proxy: nothing to undo")

// checkRoot refuses a --root that is not a folder.
func checkRoot(root string) error {
	fi, err := os.Stat(root)
	if err != nil || !fi.IsDir() {
		return &InputError{Field: "root", Reason: "invalid", Value: root}
	}
	return nil
}

// PlanProxy reads the files under root and computes what they must hold for
// proxy p. Nothing is written. A missing /etc/waagent.conf is a FileError
// of kind agent-missing.
func PlanProxy(root string, p Proxy) (*Changes, error) {
	if err := checkRoot(root); err != nil {
		return nil, err
	}
	c := &Changes{Root: root, Unit: AgentUnit(root)}
	conf, err := c.read(WaagentConf)
	if err != nil {
		return nil, err
	}
	if !conf.Existed {
		return nil, &FileError{Kind: "agent-missing", Path: WaagentConf}
	}
	env, err := c.read(Environment)
	if err != nil {
		return nil, err
	}
	drop, err := c.read(DropInPath(c.Unit))
	if err != nil {
		return nil, err
	}
	conf.New = EditWaagentConf(conf.Old, p.Host, p.Port)
	env.New = EditEnvironment(env.Old, p.URL(), p.NoProxyValue())
	drop.New = DropIn(c.Unit, p)
	for _, fc := range []*FileChange{conf, env, drop} {
		switch {
		case !fc.Existed:
			fc.Action = Create
		case string(fc.Old) != string(fc.New):
			fc.Action = Modify
		}
		c.Files = append(c.Files, fc)
	}
	return c, nil
}

// read reads one managed file; a file that does not exist is not an error.
func (c *Changes) read(path string) (*FileChange, error) {
	fc := &FileChange{Path: path, full: filepath.Join(c.Root, filepath.FromSlash(path))}
	info, err := os.Stat(fc.full)
	if errors.Is(err, fs.ErrNotExist) {
		return fc, nil
	}
	if err == nil && !info.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file", fc.full)
	}
	if err == nil {
		fc.Old, err = os.ReadFile(fc.full)
	}
	if err != nil {
		return nil, &FileError{Kind: "unreadable", Path: path, Err: err}
	}
	if fc.Old == nil {
		fc.Old = []byte{}
	}
	fc.Existed, fc.info = true, info
	return fc, nil
}

// candidates are every file a run may have backed up: the drop-ins of both
// service names, in case the detection changed since.
func candidates() []string {
	return []string{WaagentConf, Environment, DropInPath(UnitDebian), DropInPath(UnitOther)}
}

// runID names a run: a UTC time to the second and, for a second run in the
// same second, a sequence number (20261123T090000Z-2).
type runID struct {
	ts string
	n  int
}

const runLayout = "20060102T150405Z"

func (r runID) String() string {
	if r.n <= 1 {
		return r.ts
	}
	return r.ts + "-" + strconv.Itoa(r.n)
}

func (r runID) after(o runID) bool {
	if r.ts != o.ts {
		return r.ts > o.ts
	}
	return r.n > o.n
}

var backupName = regexp.MustCompile(`^(\d{8}T\d{6}Z)(?:-([1-9]\d{0,8}))?(\.absent)?$`)

// backup is a backup (or an absent marker) of one file.
type backup struct {
	run    runID
	full   string
	absent bool
}

// backupsOf lists the backups beside full, oldest first.
func backupsOf(full string) []backup {
	entries, err := os.ReadDir(filepath.Dir(full))
	if err != nil {
		return nil
	}
	prefix := filepath.Base(full) + BackupInfix
	var out []backup
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		m := backupName.FindStringSubmatch(rest)
		if m == nil {
			continue
		}
		b := backup{run: runID{ts: m[1], n: 1}, full: filepath.Join(filepath.Dir(full), e.Name()), absent: m[3] != ""}
		if m[2] != "" {
			b.run.n, _ = strconv.Atoi(m[2])
		}
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[j].run.after(out[i].run) })
	return out
}

// newRun names a new run: now, or just after the newest run on record when
// that is not older (two runs in one second, or a clock set back).
func (c *Changes) newRun(now time.Time) runID {
	id := runID{ts: now.UTC().Format(runLayout), n: 1}
	for _, p := range candidates() {
		for _, b := range backupsOf(filepath.Join(c.Root, filepath.FromSlash(p))) {
			if !id.after(b.run) {
				id = runID{ts: b.run.ts, n: b.run.n + 1}
			}
		}
	}
	return id
}

// Apply writes every changed file: first it makes sure each can be written,
// then, file by file, it keeps the old content as a backup beside the file
// (or leaves an absent marker for a file it creates) and replaces the file
// atomically with the same permissions and owner. When a write fails, the
// files already written are put back, so no run is left half done.
func (c *Changes) Apply(now time.Time) error {
	if c.Undo {
		return c.applyUndo()
	}
	var todo []*FileChange
	for _, fc := range c.Files {
		if fc.Action != Unchanged {
			todo = append(todo, fc)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	for _, fc := range todo {
		if err := c.preflight(fc); err != nil {
			return err
		}
	}
	run := c.newRun(now)
	c.Run = run.String()
	for i, fc := range todo {
		if err := c.write(fc, run); err != nil {
			for j := i - 1; j >= 0; j-- {
				c.rollback(todo[j])
			}
			return err
		}
	}
	return nil
}

// preflight refuses a file that is read-only (no write permission for
// anyone: an administrator's choice that root would otherwise override),
// cannot be opened for writing, or lies in a folder where no file can be
// created.
func (c *Changes) preflight(fc *FileChange) error {
	if fc.Existed {
		if fc.info.Mode().Perm()&0o222 == 0 {
			return &FileError{Kind: "read-only", Path: fc.Path}
		}
		f, err := os.OpenFile(fc.full, os.O_WRONLY, 0)
		if err != nil {
			return &FileError{Kind: "read-only", Path: fc.Path, Err: err}
		}
		_ = f.Close()
	}
	dir := filepath.Dir(fc.full)
	for {
		if fi, err := os.Stat(dir); err == nil {
			if !fi.IsDir() {
				return &FileError{Kind: "read-only", Path: fc.Path, Err: fmt.Errorf("%s is not a folder", dir)}
			}
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir || len(dir) <= len(filepath.Clean(c.Root)) {
			break
		}
		dir = parent
	}
	f, err := os.CreateTemp(dir, ".backupready-check-*")
	if err != nil {
		return &FileError{Kind: "read-only", Path: fc.Path, Err: err}
	}
	_ = f.Close()
	_ = os.Remove(f.Name())
	return nil
}

func (c *Changes) write(fc *FileChange, run runID) error {
	fail := func(err error) error {
		c.rollback(fc)
		return &FileError{Kind: "write", Path: fc.Path, Err: err}
	}
	dirs, err := mkdirAll(filepath.Dir(fc.full))
	fc.madeDirs = dirs
	if err != nil {
		return fail(err)
	}
	mode := fs.FileMode(0o644)
	if fc.Existed {
		mode = fc.info.Mode().Perm()
		bk := fc.full + BackupInfix + run.String()
		if err := linkOrCopy(fc.full, bk, fc.Old, fc.info); err != nil {
			return fail(err)
		}
		fc.backupFull, fc.Backup = bk, fc.Path+BackupInfix+run.String()
	} else {
		mk := fc.full + BackupInfix + run.String() + absentSuffix
		note := "backupready created " + fc.Path + " in this run; backupready guest proxy --undo removes it.\n"
		if err := writeAtomic(mk, []byte(note), 0o644, nil); err != nil {
			return fail(err)
		}
		fc.markerFull = mk
	}
	if failWrite != nil {
		if err := failWrite(fc.Path); err != nil {
			return fail(err)
		}
	}
	if err := writeAtomic(fc.full, fc.New, mode, fc.info); err != nil {
		return fail(err)
	}
	fc.replaced = true
	return nil
}

// failWrite lets tests make the write of one file fail after the checks
// passed (a full disk, a file system gone read-only), to see the rollback.
var failWrite func(path string) error

// rollback puts one written (or half-written) file back as it was.
func (c *Changes) rollback(fc *FileChange) {
	if fc.backupFull != "" {
		if fc.replaced {
			_ = os.Rename(fc.backupFull, fc.full)
		} else {
			_ = os.Remove(fc.backupFull) // a link to the file, which is unchanged
		}
		fc.backupFull, fc.Backup = "", ""
	}
	if fc.markerFull != "" {
		if fc.replaced {
			_ = os.Remove(fc.full)
		}
		_ = os.Remove(fc.markerFull)
		fc.markerFull = ""
	}
	fc.replaced = false
	for i := len(fc.madeDirs) - 1; i >= 0; i-- {
		_ = os.Remove(fc.madeDirs[i])
	}
	fc.madeDirs = nil
}

// mkdirAll is os.MkdirAll that returns the folders it created, outermost first.
func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append([]string{d}, missing...)
		if filepath.Dir(d) == d {
			break
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	return missing, os.MkdirAll(dir, 0o755)
}

// linkOrCopy keeps the old content at bk: a hard link to the file (the
// same bytes, permissions, owner and times, and the file is then replaced
// by a new one), or a copy where links are not possible.
func linkOrCopy(full, bk string, old []byte, info fs.FileInfo) error {
	if err := os.Link(full, bk); err == nil {
		return nil
	}
	return writeAtomic(bk, old, info.Mode().Perm(), info)
}

// writeAtomic replaces full with data in one rename (renameio): a reader
// sees the old file or the new one, never half of it. The new file gets
// mode exactly, and the owner of like when like is set.
func writeAtomic(full string, data []byte, mode fs.FileMode, like fs.FileInfo) error {
	pf, err := renameio.NewPendingFile(full, renameio.WithTempDir(filepath.Dir(full)), renameio.WithStaticPermissions(mode))
	if err != nil {
		return err
	}
	defer func() { _ = pf.Cleanup() }()
	if _, err := pf.Write(data); err != nil {
		return err
	}
	if like != nil {
		copyOwner(pf.File, like)
	}
	return pf.CloseAtomicallyReplace()
}

// PlanUndo finds the newest run that left backups under root and computes
// what undoing it restores: each file it changed gets its backup back, each
// file it created is removed. A drop-in of backupready's that no run
// recorded is removed too. With nothing to undo it returns ErrNothingToUndo.
func PlanUndo(root string) (*Changes, error) {
	if err := checkRoot(root); err != nil {
		return nil, err
	}
	c := &Changes{Root: root, Unit: AgentUnit(root), Undo: true}
	all := map[string][]backup{}
	var newest runID
	for _, p := range candidates() {
		bs := backupsOf(filepath.Join(root, filepath.FromSlash(p)))
		all[p] = bs
		if n := len(bs); n > 0 && bs[n-1].run.after(newest) {
			newest = bs[n-1].run
		}
	}
	for _, p := range candidates() {
		bs := all[p]
		var last *backup
		for i := range bs {
			if bs[i].run == newest {
				last = &bs[i]
			}
		}
		if len(bs) == 0 && strings.HasSuffix(p, "/"+DropInName) {
			fc, err := c.read(p)
			if err != nil {
				return nil, err
			}
			if fc.Existed && IsOurDropIn(fc.Old) {
				fc.Action = Remove
				c.Files = append(c.Files, fc)
			}
			continue
		}
		if last == nil {
			continue
		}
		fc, err := c.read(p)
		if err != nil {
			return nil, err
		}
		if last.absent {
			fc.Action, fc.markerFull = Remove, last.full
		} else {
			data, err := os.ReadFile(last.full)
			if err != nil {
				return nil, &FileError{Kind: "unreadable", Path: p + BackupInfix + last.run.String(), Err: err}
			}
			fc.Action, fc.New, fc.backupFull = Restore, data, last.full
			fc.Backup = p + BackupInfix + last.run.String()
		}
		c.Files = append(c.Files, fc)
	}
	if len(c.Files) == 0 {
		return nil, ErrNothingToUndo
	}
	if newest.ts != "" {
		c.Run = newest.String()
	}
	return c, nil
}

// applyUndo carries an undo out: backups are renamed back over their files
// (atomic, and the backup is used up, so a further --undo goes one run
// back), created files and their markers are removed.
func (c *Changes) applyUndo() error {
	for _, fc := range c.Files {
		if err := c.preflight(fc); err != nil {
			return err
		}
	}
	for _, fc := range c.Files {
		switch fc.Action {
		case Restore:
			if same(fc.backupFull, fc.full) {
				// still one file (a run that never replaced it): rename
				// would do nothing, and the backup is simply not needed
				if err := os.Remove(fc.backupFull); err != nil {
					return &FileError{Kind: "write", Path: fc.Path, Err: err}
				}
				continue
			}
			if err := os.Rename(fc.backupFull, fc.full); err != nil {
				return &FileError{Kind: "write", Path: fc.Path, Err: err}
			}
		case Remove:
			if err := os.Remove(fc.full); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return &FileError{Kind: "write", Path: fc.Path, Err: err}
			}
			if fc.markerFull != "" {
				_ = os.Remove(fc.markerFull)
			}
			if strings.HasSuffix(fc.Path, "/"+DropInName) {
				_ = os.Remove(filepath.Dir(fc.full)) // only when empty
			}
		}
	}
	return nil
}

// same reports whether a and b are links to one file.
func same(a, b string) bool {
	fa, errA := os.Lstat(a)
	fb, errB := os.Lstat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}
