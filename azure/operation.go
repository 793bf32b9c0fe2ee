package azure

import (
	"context"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// Operation is a long-running operation in Azure (a vault being created, a
// VM being protected), driven one status request at a time so that the
// caller decides how often to ask and can show progress in between, instead
// of azcore's PollUntilDone, which waits 30 s between polls when the service
// sends no Retry-After (AZURE.md §8.3a).
//
// An Operation's resume token survives the process: a later run resumes
// waiting for the same operation in Azure instead of starting it again.
type Operation struct {
	op    string
	token string
	poll  func(ctx context.Context) (bool, error)
}

// newOperation wraps an SDK poller. onDone receives the final result once.
func newOperation[T any](op string, p *runtime.Poller[T], onDone func(T)) *Operation {
	o := &Operation{op: op}
	if tok, err := p.ResumeToken(); err == nil {
		o.token = tok
	}
	o.poll = func(ctx context.Context) (bool, error) {
		if !p.Done() {
			if _, err := p.Poll(ctx); err != nil {
				return false, Classify(op, err)
			}
		}
		if !p.Done() {
			if tok, err := p.ResumeToken(); err == nil {
				o.token = tok
			}
			return false, nil
		}
		res, err := p.Result(ctx)
		if err != nil {
			e := Classify(op, err)
			if ae, ok := AsError(e); ok && ae.Kind != KindCanceled && ae.Kind != KindTimeout {
				ae.Kind = KindOperation
			}
			return true, e
		}
		if onDone != nil {
			onDone(res)
		}
		return true, nil
	}
	return o
}

// doneOperation is an operation that finished when it was started (Azure
// answered the write synchronously).
func doneOperation(op string) *Operation {
	return &Operation{op: op, poll: func(context.Context) (bool, error) { return true, nil }}
}

// Op is the operation's id (the catalog phrase "op.<id>").
func (o *Operation) Op() string { return o.op }

// ResumeToken lets a later run wait for this operation again ("" once it is
// done or when the service gave none).
func (o *Operation) ResumeToken() string { return o.token }

// Poll asks Azure once how the operation is doing. done is true when it has
// finished; err is then how it failed (Kind operationFailed with Azure's
// code and message for an operation Azure reports as Failed). A failed status
// request (network, 5xx after retries) returns done false and the error.
func (o *Operation) Poll(ctx context.Context) (done bool, err error) {
	done, err = o.poll(ctx)
	if done {
		o.token = ""
	}
	return done, err
}

// Wait polls every interval until the operation finishes or ctx ends;
// tick (if not nil) is called after each unfinished poll.
func (o *Operation) Wait(ctx context.Context, every time.Duration, tick func()) error {
	for {
		done, err := o.Poll(ctx)
		if done || err != nil {
			return err
		}
		if tick != nil {
			tick()
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return Classify(o.op, ctx.Err())
		case <-t.C:
		}
	}
}
