package sandboxclient

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// programName is the sandbox's program, installed beside latch.
const programName = "latch-sandbox"

// ChildFlag tells latch-sandbox that [Program] started it: it then quits
// when its standard input closes, that is when the program that started
// it stops it or ends, however it ends.
const ChildFlag = "--child"

// Exit statuses of latch-sandbox for the errors a [Starter] names, so that
// [Program] gives the errors a sandbox started in process gives.
const (
	exitAddrTaken    = 3
	exitCorruptState = 4
	exitRunning      = 5
)

// ExitCode is latch-sandbox's exit status for err, the error that ended
// it: 0 for none.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrAddrTaken):
		return exitAddrTaken
	case errors.Is(err, ErrCorruptState):
		return exitCorruptState
	case errors.Is(err, os.ErrExist):
		return exitRunning
	}
	return 1
}

// programError is what latch-sandbox said when it failed to start,
// matching the error it stands for.
type programError struct {
	msg  string
	kind error // nil: none of the errors callers branch on
}

func (e *programError) Error() string { return e.msg }
func (e *programError) Unwrap() error { return e.kind }

// Program is the [Starter] that runs the sandbox as the program
// latch-sandbox, found beside this program's executable or else on the
// PATH, with its standard input held open: it stops at Close, when ctx
// ends, or when this process ends in any way. Its diagnostics go to
// o.Logger.
func Program(ctx context.Context, o Options) (Instance, error) {
	path := o.Program
	if path == "" {
		var err error
		if path, err = programPath(); err != nil {
			return nil, err
		}
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	args := []string{ChildFlag}
	if o.Addr != "" {
		args = append(args, "--addr", o.Addr)
	}
	if o.Issuer != "" {
		args = append(args, "--issuer", o.Issuer)
	}
	if o.StateFile != "" {
		args = append(args, "--state-file", o.StateFile)
	}
	if o.AccessTokenTTL > 0 {
		args = append(args, "--token-ttl", o.AccessTokenTTL.String())
	}
	if o.ReuseInterval > 0 {
		args = append(args, "--reuse-interval", o.ReuseInterval.String())
	}
	if log.Enabled(ctx, slog.LevelDebug) {
		args = append(args, "--verbose")
	}
	cmd := exec.Command(path, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("sandbox: starting %s: %w", path, err)
	}
	p := &program{cmd: cmd, stdin: stdin, exited: make(chan struct{})}
	// The pipes are read to their end before Wait, which closes them.
	var reading sync.WaitGroup
	reading.Add(2)
	said := make(chan string, 1) // its last line on stderr, once it has ended
	go func() {
		defer reading.Done()
		last := ""
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" {
				last = line
				log.Debug("latch-sandbox", "said", line)
			}
		}
		said <- last
	}()
	ready := make(chan error, 1)
	go func() {
		defer reading.Done()
		ready <- p.readFields(stdout)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		reading.Wait()
		_ = cmd.Wait()
		close(p.exited)
	}()
	timer := time.NewTimer(startWait)
	defer timer.Stop()
	select {
	case err = <-ready:
	case <-ctx.Done():
		err = ctx.Err()
	case <-timer.C:
		err = fmt.Errorf("it did not serve within %s", startWait)
	}
	if err != nil {
		_ = p.Close() // returns once it has ended
		if msg := <-said; msg != "" && ctx.Err() == nil {
			return nil, exitError(cmd.ProcessState.ExitCode(), msg)
		}
		return nil, fmt.Errorf("sandbox: %s did not start: %w", programName, err)
	}
	go func() {
		select {
		case <-ctx.Done():
			_ = p.Close()
		case <-p.exited:
		}
	}()
	return p, nil
}

// exitError is the error latch-sandbox's exit status code stands for,
// worded with what it said.
func exitError(code int, msg string) error {
	e := &programError{msg: msg}
	switch code {
	case exitAddrTaken:
		e.kind = ErrAddrTaken
	case exitCorruptState:
		e.kind = ErrCorruptState
	case exitRunning:
		e.kind = os.ErrExist
	}
	return e
}

// programPath finds latch-sandbox: beside this program, else on the PATH.
func programPath() (string, error) {
	name := programName
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	here := "this program"
	if exe, err := os.Executable(); err == nil {
		here = filepath.Base(exe)
		beside := filepath.Join(filepath.Dir(exe), name)
		if _, err := os.Stat(beside); err == nil {
			return beside, nil
		}
	}
	path, err := exec.LookPath(programName)
	if err != nil {
		return "", fmt.Errorf("sandbox: its program, %s, is neither beside %s nor on the PATH; install it with Latch", programName, here)
	}
	return path, nil
}

// program is a sandbox run by latch-sandbox.
type program struct {
	cmd    *exec.Cmd
	stdin  io.Closer
	exited chan struct{}

	issuer, metadataAPI string
	closing             sync.Once
}

// readFields reads the lines latch-sandbox prints once it serves.
func (p *program) readFields(r io.Reader) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), ": ")
		switch key {
		case "issuer":
			p.issuer = value
		case "metadata_api":
			p.metadataAPI = value
			if p.issuer == "" {
				return errors.New("it printed no issuer")
			}
			return nil
		}
	}
	return errors.New("it ended before it served")
}

func (p *program) Issuer() string      { return p.issuer }
func (p *program) MetadataAPI() string { return p.metadataAPI }

// startWait bounds how long latch-sandbox may take to serve: a few
// milliseconds, or a second on a slow disk.
const startWait = 30 * time.Second

// closeWait is how long latch-sandbox is given to stop by itself.
const closeWait = 5 * time.Second

// Close stops latch-sandbox: its standard input closes, which ends it;
// one that has not ended within a few seconds is killed.
func (p *program) Close() error {
	p.closing.Do(func() {
		_ = p.stdin.Close()
		select {
		case <-p.exited:
		case <-time.After(closeWait):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return nil
}
