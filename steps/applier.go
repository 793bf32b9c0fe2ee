package steps

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/backupready/backupready/azure"
)

// The applier carries out the planner's changes against Azure: the Apply and
// Protect steps and headless `backupready apply` all run it. It records every
// change in the journal, waits out throttling and conflicts visibly, drives
// long-running operations one poll at a time, reads back what it wrote, and
// on an interruption leaves operations in flight running in Azure, recorded
// so the next run resumes them instead of starting them again.

// RunState is where one change stands in a run.
type RunState string

// The run states.
const (
	RunPending  RunState = "pending"
	RunRunning  RunState = "running"
	RunWaiting  RunState = "waiting" // waiting before trying again (throttled, conflict, server error)
	RunDone     RunState = "done"
	RunNoChange RunState = "noChange"
	RunFailed   RunState = "failed"
	RunSkipped  RunState = "skipped" // not carried out: the user skipped it, or what it needs did not happen
	RunLeft     RunState = "left"    // still running in Azure; the run was interrupted
)

// Finished reports whether a change in this state needs nothing more in this run.
func (s RunState) Finished() bool {
	switch s {
	case RunDone, RunNoChange, RunFailed, RunSkipped, RunLeft:
		return true
	}
	return false
}

// ApplyEvent reports progress of one change.
type ApplyEvent struct {
	Index   int // into the change list
	State   RunState
	Note    string // catalog key for what is happening now ("apply.note.…"), "" for none
	Args    []any  // its arguments
	Until   time.Time
	Attempt int
	Elapsed time.Duration // since the change started (finished states: how long it took)
	Err     error         // RunFailed, and RunWaiting (why it waits)
	Percent int           // 0..100 where known, else -1
	Detail  string        // what was set or started (journal detail, job id)
}

// Decision is what to do after a change failed.
type Decision int

// The decisions.
const (
	DecideStop Decision = iota
	DecideRetry
	DecideSkip
)

// Outcome is how a run ended.
type Outcome struct {
	States      []RunState // per change
	Errs        []error    // per change: the failure, if any
	Details     []string   // per change: what was set or started
	Durations   []time.Duration
	Interrupted bool // the context ended: operations in flight were left running in Azure
	Stopped     bool // the user (or a headless failure) stopped the run
}

// Count returns how many changes ended in a state.
func (o Outcome) Count(s RunState) int {
	n := 0
	for _, x := range o.States {
		if x == s {
			n++
		}
	}
	return n
}

// Failed reports whether any change failed.
func (o Outcome) Failed() bool { return o.Count(RunFailed) > 0 }

// ApplyAPI is what carrying out a plan calls in Azure.
type ApplyAPI interface {
	liveAPI
	protectAPI
	networkAPI
	RegisterProvider(ctx context.Context, subscriptionID, namespace string) (string, error)
	CreateResourceGroup(ctx context.Context, subscriptionID, group, location string) (azure.ResourceGroup, error)
	BeginCreateVault(ctx context.Context, subscriptionID, group, name, location, resumeToken string) (*azure.Operation, error)
	SetStorageConfig(ctx context.Context, vaultID string, want azure.StorageConfig) (azure.StorageConfig, error)
}

// Applier carries out a plan's changes.
type Applier struct {
	API     ApplyAPI
	Plan    *Plan
	Journal *Journal // nil: nothing is recorded (tests)
	// PollEvery is how often a long-running operation is asked about
	// (default 5 s; azcore's own default would be 30 s, AZURE.md §8.3a).
	PollEvery time.Duration
	// RetryBase is the first wait before trying a change again after a
	// conflict or a server error (doubling each time; default 5 s). A
	// throttled request waits what Azure's Retry-After says.
	RetryBase time.Duration
	// MaxWait bounds the wait for one long-running operation (default 30 min).
	MaxWait time.Duration
	// Concurrency is how many VMs are protected at once (default 100: with
	// a poll every 5 s that stays under ARM's 25 reads/s per principal and
	// subscription; writes are paced by the write budget).
	Concurrency int
	// Decide is asked after a change failed (retries exhausted). nil means
	// headless: a failed change of the preparation stops the run; a failed
	// VM leaves that VM's later changes undone and the other VMs go on.
	Decide func(ctx context.Context, index int, c Change, err error) Decision
	Now    func() time.Time

	emitMu  sync.Mutex
	emitFn  func(ApplyEvent)
	refresh sync.Map // vault id → *refreshOnce
	writes  *budget
}

func (a *Applier) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Applier) pollEvery() time.Duration {
	if a.PollEvery > 0 {
		return a.PollEvery
	}
	return 5 * time.Second
}

func (a *Applier) retryBase() time.Duration {
	if a.RetryBase > 0 {
		return a.RetryBase
	}
	return 5 * time.Second
}

func (a *Applier) maxWait() time.Duration {
	if a.MaxWait > 0 {
		return a.MaxWait
	}
	return 30 * time.Minute
}

func (a *Applier) emit(e ApplyEvent) {
	a.emitMu.Lock()
	defer a.emitMu.Unlock()
	if a.emitFn != nil {
		a.emitFn(e)
	}
}

// record writes a journal entry; a journal that cannot be written stops
// the change (the run must never do what it cannot record).
func (a *Applier) record(e JournalEntry) error {
	if err := a.Journal.Record(e); err != nil {
		return &azure.Error{Kind: azure.KindUnknown, Op: "write-journal", Code: "JournalNotWritten", Err: err}
	}
	return nil
}

// recordDone records a change done: what it came to (detail) and how long
// it took since start.
func (a *Applier) recordDone(c Change, start time.Time, detail string) error {
	return a.record(JournalEntry{Action: c.Action, Target: c.Target, State: JournalDone, Detail: detail, Seconds: a.now().Sub(start).Seconds()})
}

// follow records a long-running operation as in progress with its resume
// token, so that an interrupted run waits on it instead of starting it
// again, then waits until it ends (see wait).
func (a *Applier) follow(ctx context.Context, i int, c Change, start time.Time, op *azure.Operation, note string) error {
	if err := a.record(JournalEntry{Action: c.Action, Target: c.Target, State: JournalInProgress, ResumeToken: op.ResumeToken()}); err != nil {
		return err
	}
	return a.wait(ctx, i, start, op, note)
}

// Run carries out changes in order: the preparation (provider, resource
// group, vault, redundancy, policy) one after another, then the VMs together
// (up to Concurrency at once), each VM's changes in order. emit receives
// every event; it is called from several goroutines but never at once.
func (a *Applier) Run(ctx context.Context, changes []Change, emit func(ApplyEvent)) Outcome {
	a.emitFn = emit
	if a.writes == nil {
		a.writes = newBudget(200, 10, a.now) // ARM's write bucket per principal and subscription (AZURE.md §8.2)
	}
	out := Outcome{States: make([]RunState, len(changes)), Errs: make([]error, len(changes)),
		Details: make([]string, len(changes)), Durations: make([]time.Duration, len(changes))}
	var mu sync.Mutex
	set := func(i int, s RunState, err error, detail string, d time.Duration) {
		mu.Lock()
		out.States[i], out.Errs[i], out.Details[i], out.Durations[i] = s, err, detail, d
		mu.Unlock()
	}
	for i := range out.States {
		out.States[i] = RunPending
	}
	var chain []int
	vms := map[string][]int{}
	var vmOrder []string
	for i, c := range changes {
		switch {
		case c.Kind == NoChange:
			set(i, RunNoChange, nil, "", 0)
			a.emit(ApplyEvent{Index: i, State: RunNoChange, Percent: -1})
		case c.Kind == Skip:
			set(i, RunSkipped, nil, "", 0)
			a.emit(ApplyEvent{Index: i, State: RunSkipped, Percent: -1})
		case vmAction(c.Action):
			key := strings.ToLower(c.Target)
			if _, ok := vms[key]; !ok {
				vmOrder = append(vmOrder, key)
			}
			vms[key] = append(vms[key], i)
		default:
			chain = append(chain, i)
		}
	}
	stopAll := func(from []int) {
		for _, j := range from {
			if !out.States[j].Finished() {
				set(j, RunSkipped, nil, "", 0)
				a.emit(ApplyEvent{Index: j, State: RunSkipped, Note: "apply.note.not-run", Percent: -1})
			}
		}
	}
	remaining := func() []int {
		var rest []int
		for _, key := range vmOrder {
			rest = append(rest, vms[key]...)
		}
		return rest
	}
	for n, i := range chain {
		s, err, detail, d := a.one(ctx, i, changes[i])
		set(i, s, err, detail, d)
		switch {
		case s == RunLeft || ctx.Err() != nil:
			out.Interrupted = true
			stopAll(append(chain[n+1:], remaining()...))
			return out
		case s == RunFailed:
			out.Stopped = true
			stopAll(append(chain[n+1:], remaining()...))
			return out
		}
	}
	limit := a.Concurrency
	if limit <= 0 {
		limit = 100
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	var stopped bool
	var stopMu sync.Mutex
	for _, key := range vmOrder {
		idx := vms[key]
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
			}
			for n, i := range idx {
				stopMu.Lock()
				halt := stopped
				stopMu.Unlock()
				if halt || ctx.Err() != nil {
					stopAll(idx[n:])
					return
				}
				s, err, detail, d := a.one(ctx, i, changes[i])
				set(i, s, err, detail, d)
				if s == RunFailed && a.Decide != nil {
					// the user chose to stop
					stopMu.Lock()
					stopped = true
					stopMu.Unlock()
				}
				if s != RunDone && s != RunNoChange {
					stopAll(idx[n+1:])
					return
				}
			}
		}()
	}
	wg.Wait()
	out.Stopped = stopped
	for _, s := range out.States {
		if s == RunLeft {
			out.Interrupted = true
		}
	}
	if ctx.Err() != nil {
		out.Interrupted = true
	}
	return out
}

// vmAction reports the actions carried out per VM, concurrently.
func vmAction(action string) bool { return strings.HasPrefix(action, "vm.") && action != ActionVM }

// one carries out a change with retries and the user's decision after a
// failure, and reports the final state.
func (a *Applier) one(ctx context.Context, i int, c Change) (RunState, error, string, time.Duration) {
	start := a.now()
	for {
		detail, err := a.attempt(ctx, i, c, start)
		d := a.now().Sub(start)
		if err == nil {
			a.emit(ApplyEvent{Index: i, State: RunDone, Elapsed: d, Detail: detail, Percent: 100})
			return RunDone, nil, detail, d
		}
		if errors.Is(err, errLeftRunning) {
			a.emit(ApplyEvent{Index: i, State: RunLeft, Elapsed: d, Detail: detail, Percent: -1})
			return RunLeft, nil, detail, d
		}
		if ctx.Err() != nil {
			a.emit(ApplyEvent{Index: i, State: RunSkipped, Note: "apply.note.interrupted", Elapsed: d, Percent: -1})
			return RunSkipped, nil, detail, d
		}
		_ = a.record(JournalEntry{Action: c.Action, Target: c.Target, State: JournalFailed, Error: journalErrorOf(err), Seconds: d.Seconds()})
		a.emit(ApplyEvent{Index: i, State: RunFailed, Elapsed: d, Err: err, Percent: -1})
		if a.Decide == nil {
			return RunFailed, err, detail, d
		}
		switch a.Decide(ctx, i, c, err) {
		case DecideRetry:
			start = a.now()
			continue
		case DecideSkip:
			_ = a.record(JournalEntry{Action: c.Action, Target: c.Target, State: JournalSkipped})
			a.emit(ApplyEvent{Index: i, State: RunSkipped, Note: "apply.note.skipped-by-user", Err: err, Percent: -1})
			return RunSkipped, err, detail, d
		default:
			return RunFailed, err, detail, d
		}
	}
}

// errLeftRunning ends a change whose operation was left running in Azure.
var errLeftRunning = errors.New("left running in Azure")

// attempt runs a change, trying again after throttling, conflicts and server
// errors (waiting visibly), and returns the last error.
func (a *Applier) attempt(ctx context.Context, i int, c Change, start time.Time) (string, error) {
	for try := 1; ; try++ {
		a.emit(ApplyEvent{Index: i, State: RunRunning, Attempt: try, Elapsed: a.now().Sub(start), Percent: -1})
		detail, err := a.execute(ctx, i, c, start)
		if err == nil || errors.Is(err, errLeftRunning) || ctx.Err() != nil {
			return detail, err
		}
		wait, note, ok := a.retryable(err, try)
		if !ok {
			return detail, err
		}
		a.emit(ApplyEvent{Index: i, State: RunWaiting, Note: note, Args: []any{"Seconds", int(wait.Round(time.Second).Seconds()), "Attempt", try + 1},
			Until: a.now().Add(wait), Attempt: try, Elapsed: a.now().Sub(start), Err: err, Percent: -1})
		if err := azure.Sleep(ctx, wait); err != nil {
			return detail, err
		}
	}
}

// retryable says whether (and after how long) a failed try is worth another.
func (a *Applier) retryable(err error, try int) (time.Duration, string, bool) {
	e, ok := azure.AsError(err)
	if !ok {
		return 0, "", false
	}
	backoff := a.retryBase() << (try - 1)
	switch e.Kind {
	case azure.KindThrottled:
		if try > 6 {
			return 0, "", false
		}
		wait := e.RetryAfter
		if wait <= 0 {
			wait = backoff
		}
		return min(wait, 10*time.Minute), "apply.note.throttled", true
	case azure.KindConflict:
		if try > 5 || !transientConflict(e.Code) {
			return 0, "", false
		}
		return min(backoff, 2*time.Minute), "apply.note.conflict", true
	case azure.KindServer, azure.KindNetwork:
		if try > 3 {
			return 0, "", false
		}
		return min(backoff, 2*time.Minute), "apply.note.server", true
	}
	return 0, "", false
}

// transientConflict reports a 409 that goes away by itself: another
// operation on the resource is in progress. A taken name does not.
func transientConflict(code string) bool {
	lc := strings.ToLower(code)
	switch {
	case lc == "" || lc == "conflict":
		return true
	case strings.Contains(lc, "inprogress"), strings.Contains(lc, "anotheroperation"), strings.Contains(lc, "retryable"),
		strings.Contains(lc, "busy"), strings.Contains(lc, "concurrent"):
		return true
	}
	return false
}

// execute carries out one try of a change.
func (a *Applier) execute(ctx context.Context, i int, c Change, start time.Time) (string, error) {
	p := a.Plan
	switch c.Action {
	case ActionRegisterProvider:
		return a.registerProvider(ctx, i, c, start)
	case ActionResourceGroup:
		if err := a.write(ctx, c, ""); err != nil {
			return "", err
		}
		_, rg := splitGroupID(c.Target)
		g, err := a.API.CreateResourceGroup(ctx, p.Subscription, rg, azure.NormalizeLocation(p.Vault.Location))
		if err != nil {
			return "", err
		}
		return g.Location, a.recordDone(c, start, g.Location)
	case ActionVault:
		return a.createVault(ctx, i, c, start)
	case ActionStorageType, ActionCrossRegion:
		want := azure.StorageConfig{Type: p.Redundancy.StorageType, CrossRegionRestore: p.Redundancy.CrossRegionRestore}
		if c.Action == ActionStorageType && c.To != "" {
			want.Type = c.To
		}
		if want.Type == "" { // keep: the vault's own type
			cur, err := a.API.StorageConfig(ctx, c.Target)
			if err != nil {
				return "", err
			}
			want.Type = cur.Type
		}
		if err := a.write(ctx, c, ""); err != nil {
			return "", err
		}
		got, err := a.API.SetStorageConfig(ctx, c.Target, want)
		if err != nil {
			return "", err
		}
		detail := got.Type
		if c.Action == ActionCrossRegion {
			detail = map[bool]string{true: "on", false: "off"}[got.CrossRegionRestore]
		}
		return detail, a.recordDone(c, start, detail)
	}
	if c.Action == ActionNSGRule {
		return a.addNSGRule(ctx, i, c, start)
	}
	if c.Action == ActionGuestProxy {
		return a.pushGuestProxy(ctx, i, c, start)
	}
	if c.Action == ActionAgentUpdate || c.Action == ActionSnapshotExtRemove {
		return a.repairAgent(ctx, i, c, start)
	}
	if c.Action == ActionProxyFirewall {
		return a.openProxyFirewall(ctx, i, c, start)
	}
	return a.executeProtect(ctx, i, c, start)
}

// write takes one write from the budget and records that a write is about
// to be sent, so that an interruption between sending and hearing back is
// visible in the journal.
func (a *Applier) write(ctx context.Context, c Change, token string) error {
	if err := a.writes.take(ctx); err != nil {
		return err
	}
	return a.record(JournalEntry{Action: c.Action, Target: c.Target, State: JournalStarted, ResumeToken: token})
}

func (a *Applier) registerProvider(ctx context.Context, i int, c Change, start time.Time) (string, error) {
	sub := a.Plan.Subscription
	state, err := a.API.ProviderState(ctx, sub, c.Target)
	if err != nil {
		return "", err
	}
	if state != "Registered" && state != "Registering" {
		if err := a.write(ctx, c, ""); err != nil {
			return "", err
		}
		if state, err = a.API.RegisterProvider(ctx, sub, c.Target); err != nil {
			return "", err
		}
	}
	deadline := start.Add(a.maxWait())
	for state != "Registered" {
		if a.now().After(deadline) {
			return "", &azure.Error{Kind: azure.KindTimeout, Op: "register-provider", Code: "RegistrationTimedOut"}
		}
		a.emit(ApplyEvent{Index: i, State: RunRunning, Note: "apply.note.registering", Args: []any{"State", state}, Elapsed: a.now().Sub(start), Percent: -1})
		if err := azure.Sleep(ctx, a.pollEvery()); err != nil {
			return "", err
		}
		if state, err = a.API.ProviderState(ctx, sub, c.Target); err != nil {
			return "", err
		}
	}
	return state, a.recordDone(c, start, state)
}

// createVault creates the plan's vault, or waits for one being created: a
// resume token in the journal (an earlier run was interrupted) is waited on
// instead of a new PUT.
func (a *Applier) createVault(ctx context.Context, i int, c Change, start time.Time) (string, error) {
	p := a.Plan
	var op *azure.Operation
	var err error
	if last, ok := a.Journal.Last(c.Action, c.Target); ok && last.State == JournalInProgress && last.ResumeToken != "" {
		op, err = a.API.BeginCreateVault(ctx, p.Subscription, p.Vault.ResourceGroup, p.Vault.Name, "", last.ResumeToken)
		if err != nil {
			op = nil // the operation is gone: look at the vault itself
		}
	}
	if op == nil {
		v, err := a.API.VaultByName(ctx, p.Subscription, p.Vault.ResourceGroup, p.Vault.Name)
		if err != nil {
			return "", err
		}
		switch {
		case v != nil && v.Ready():
			return v.ID, a.recordDone(c, start, v.ID)
		case v != nil && !strings.EqualFold(v.ProvisioningState, "Failed"):
			return a.waitVault(ctx, i, c, start)
		}
		// no vault, or one whose creation failed: (another) PUT
		if err := a.write(ctx, c, ""); err != nil {
			return "", err
		}
		op, err = a.API.BeginCreateVault(ctx, p.Subscription, p.Vault.ResourceGroup, p.Vault.Name, azure.NormalizeLocation(p.Vault.Location), "")
		if err != nil {
			return "", err
		}
	}
	if err := a.follow(ctx, i, c, start, op, "apply.note.creating"); err != nil {
		return "", err
	}
	return c.Target, a.recordDone(c, start, c.Target)
}

// waitVault waits for a vault that exists but is still provisioning.
func (a *Applier) waitVault(ctx context.Context, i int, c Change, start time.Time) (string, error) {
	p := a.Plan
	deadline := start.Add(a.maxWait())
	for {
		v, err := a.API.VaultByName(ctx, p.Subscription, p.Vault.ResourceGroup, p.Vault.Name)
		if err != nil {
			return "", err
		}
		if v != nil && v.Ready() {
			return v.ID, a.recordDone(c, start, v.ID)
		}
		if v == nil {
			return "", &azure.Error{Kind: azure.KindOperation, Op: "create-vault", Code: "VaultDisappeared"}
		}
		if strings.EqualFold(v.ProvisioningState, "Failed") {
			return "", &azure.Error{Kind: azure.KindOperation, Op: "create-vault", Code: "ProvisioningFailed"}
		}
		if a.now().After(deadline) {
			return "", &azure.Error{Kind: azure.KindTimeout, Op: "create-vault", Code: "OperationTimedOut"}
		}
		a.emit(ApplyEvent{Index: i, State: RunRunning, Note: "apply.note.creating", Elapsed: a.now().Sub(start), Percent: -1})
		if err := azure.Sleep(ctx, a.pollEvery()); err != nil {
			return "", errLeftRunning
		}
	}
}

// wait drives a long-running operation to its end, one poll every
// PollEvery. When ctx ends the operation is left running in Azure (its
// resume token is in the journal already) and errLeftRunning returned.
func (a *Applier) wait(ctx context.Context, i int, start time.Time, op *azure.Operation, note string) error {
	deadline := a.now().Add(a.maxWait())
	failures := 0
	for {
		// the operation was just started (or resumed): give it a poll
		// interval before asking, as Azure's Retry-After would
		a.emit(ApplyEvent{Index: i, State: RunRunning, Note: note, Elapsed: a.now().Sub(start), Percent: -1})
		if azure.Sleep(ctx, a.pollEvery()) != nil {
			return errLeftRunning
		}
		done, err := op.Poll(ctx)
		if ctx.Err() != nil {
			return errLeftRunning
		}
		if done {
			return err
		}
		if err != nil {
			// the status request failed (azcore already retried): a few more
			// tries, then give up on waiting
			if failures++; failures > 3 {
				return err
			}
		} else {
			failures = 0
		}
		if a.now().After(deadline) {
			return &azure.Error{Kind: azure.KindTimeout, Op: op.Op(), Code: "OperationTimedOut"}
		}
	}
}

// splitGroupID reads subscription and group out of a resource group id.
func splitGroupID(id string) (sub, group string) {
	parts := strings.Split(strings.Trim(id, "/"), "/")
	for k := 0; k+1 < len(parts); k++ {
		switch strings.ToLower(parts[k]) {
		case "subscriptions":
			sub = parts[k+1]
		case "resourcegroups":
			group = parts[k+1]
		}
	}
	return sub, group
}

// budget is a token bucket for ARM writes: burst, then refill per second,
// so that a fleet run never trips ARM's write throttling (AZURE.md §8.2).
type budget struct {
	mu     sync.Mutex
	tokens float64
	burst  float64
	rate   float64
	last   time.Time
	now    func() time.Time
}

func newBudget(burst, perSecond int, now func() time.Time) *budget {
	if now == nil {
		now = time.Now
	}
	return &budget{tokens: float64(burst), burst: float64(burst), rate: float64(perSecond), last: now(), now: now}
}

// take waits for one write.
func (b *budget) take(ctx context.Context) error {
	if b == nil {
		return ctx.Err()
	}
	for {
		b.mu.Lock()
		t := b.now()
		b.tokens = min(b.burst, b.tokens+t.Sub(b.last).Seconds()*b.rate)
		b.last = t
		if b.tokens >= 1 {
			b.tokens--
			b.mu.Unlock()
			return ctx.Err()
		}
		wait := time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
		b.mu.Unlock()
		if err := azure.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}
