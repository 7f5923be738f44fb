package agent

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// Desk is where the agent and the desktop app meet: the questions that
// wait for the person (a token that needs confirming), the programs the
// person allowed for a while, and the record of recent token uses. The
// agent asks and records; the app shows both and answers. The zero value
// is ready; it is safe for use by several goroutines.
type Desk struct {
	// Now is the clock of the allowances and the uses; nil is time.Now.
	Now func() time.Time

	mu        sync.Mutex
	allowed   map[string]time.Time // until when, by allowanceKey
	nextID    int
	pending   []*question
	uses      map[string][]Use // newest last, by account
	listeners map[int]func()
	nextL     int
}

// Question is a token request that waits for the person's answer.
type Question struct {
	ID int
	// Program is the process that asked.
	Program Program
	// Account, Issuer and ClientID name the account; Token the token
	// asked for (see [Use.Token]).
	Account, Issuer, ClientID, Token string
	// AllowFor is how long [AllowForAWhile] allows the program.
	AllowFor time.Duration
	Asked    time.Time
}

// question is a Question and where its answer goes.
type question struct {
	Question
	answer chan Answer
}

// Answer is the person's answer to a [Question].
type Answer int

// The answers.
const (
	Deny Answer = iota
	Allow
	// AllowForAWhile allows this request, and the same program's requests
	// for the same token for [Question.AllowFor].
	AllowForAWhile
)

// maxUses is how many uses the desk keeps for each account.
const maxUses = 100

// Outcomes of a [Use].
const (
	OutcomeAllowed   = "allowed"
	OutcomeDenied    = "denied"
	OutcomeAutomatic = "automatic"
	// OutcomeRefused: the token needs confirming and no one could ask.
	OutcomeRefused = "refused"
)

// Use is one token handed out, or held back, by the agent. It holds no
// token and no proof.
type Use struct {
	Time    time.Time `json:"time"`
	Account string    `json:"account"`
	Issuer  string    `json:"issuer"`
	Program Program   `json:"program"`
	// Token is the named token's name, or [latchapp.OwnAccessToken] or
	// [latchapp.OwnIDToken] for the account's own.
	Token string `json:"token"`
	// Outcome is OutcomeAllowed, OutcomeDenied, OutcomeAutomatic (no
	// question was needed, or the program was allowed for a while) or
	// OutcomeRefused.
	Outcome string `json:"outcome"`
}

// Listen calls changed, from any goroutine, after each change of the
// pending questions or the uses, until the returned function is called.
func (d *Desk) Listen(changed func()) (stop func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.listeners == nil {
		d.listeners = map[int]func(){}
	}
	d.nextL++
	id := d.nextL
	d.listeners[id] = changed
	return func() {
		d.mu.Lock()
		delete(d.listeners, id)
		d.mu.Unlock()
	}
}

// changed calls the listeners; d.mu is not held.
func (d *Desk) changed() {
	d.mu.Lock()
	fs := make([]func(), 0, len(d.listeners))
	for _, f := range d.listeners {
		fs = append(fs, f)
	}
	d.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// Pending are the questions waiting for the person, oldest first.
func (d *Desk) Pending() []Question {
	d.mu.Lock()
	defer d.mu.Unlock()
	qs := make([]Question, len(d.pending))
	for i, q := range d.pending {
		qs[i] = q.Question
	}
	return qs
}

// Answer answers the question id; one no longer pending (its program
// gave up, or it was answered) is left alone.
func (d *Desk) Answer(id int, a Answer) {
	d.mu.Lock()
	i := slices.IndexFunc(d.pending, func(q *question) bool { return q.ID == id })
	if i < 0 {
		d.mu.Unlock()
		return
	}
	q := d.pending[i]
	d.pending = slices.Delete(d.pending, i, i+1)
	d.mu.Unlock()
	q.answer <- a
	d.changed()
}

// Allowed says whether the person allowed q's program the token q asks
// for a while ago, for a while that has not ended.
func (d *Desk) Allowed(q Question) bool {
	key := q.allowanceKey()
	if key == "" {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	until, ok := d.allowed[key]
	return ok && d.now().Before(until)
}

// Ask puts q to the person and waits for the answer, or for ctx to end
// (the program stopped waiting), which takes the question back. An answer
// of [AllowForAWhile] allows the same program the same token until
// q.AllowFor has passed (see [Desk.Allowed]).
func (d *Desk) Ask(ctx context.Context, q Question) (Answer, error) {
	a, err := d.ask(ctx, q)
	if err == nil && a == AllowForAWhile {
		if key := q.allowanceKey(); key != "" {
			d.mu.Lock()
			if d.allowed == nil {
				d.allowed = map[string]time.Time{}
			}
			d.allowed[key] = d.now().Add(q.AllowFor)
			d.mu.Unlock()
		}
	}
	return a, err
}

// allowanceKey names what an allowance is for: the program (see
// [Program.key]), the account and the token; empty when the program is
// not known.
func (q Question) allowanceKey() string {
	p := q.Program.key()
	if p == "" {
		return ""
	}
	return strings.Join([]string{p, q.Issuer, q.ClientID, q.Account, q.Token}, "\x00")
}

func (d *Desk) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Desk) ask(ctx context.Context, q Question) (Answer, error) {
	d.mu.Lock()
	d.nextID++
	q.ID = d.nextID
	pq := &question{Question: q, answer: make(chan Answer, 1)}
	d.pending = append(d.pending, pq)
	d.mu.Unlock()
	d.changed()
	select {
	case a := <-pq.answer:
		return a, nil
	case <-ctx.Done():
	}
	d.mu.Lock()
	i := slices.Index(d.pending, pq)
	if i >= 0 {
		d.pending = slices.Delete(d.pending, i, i+1)
	}
	d.mu.Unlock()
	if i < 0 {
		// Answered as the program gave up.
		return <-pq.answer, nil
	}
	d.changed()
	return Deny, ctx.Err()
}

// Uses are the recent uses of account's tokens, newest first; all
// accounts' when account is empty.
func (d *Desk) Uses(account string) []Use {
	d.mu.Lock()
	defer d.mu.Unlock()
	var list []Use
	for name, uses := range d.uses {
		if account == "" || name == account {
			list = append(list, uses...)
		}
	}
	slices.SortStableFunc(list, func(a, b Use) int { return b.Time.Compare(a.Time) })
	return list
}

// Record adds u to its account's recent uses, forgetting the oldest past
// the last 100; a u without a time is given the desk's.
func (d *Desk) Record(u Use) {
	if u.Time.IsZero() {
		u.Time = d.now()
	}
	d.mu.Lock()
	if d.uses == nil {
		d.uses = map[string][]Use{}
	}
	list := append(d.uses[u.Account], u)
	if len(list) > maxUses {
		list = slices.Delete(list, 0, len(list)-maxUses)
	}
	d.uses[u.Account] = list
	d.mu.Unlock()
	d.changed()
}
