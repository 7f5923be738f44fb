// The command line beside a keychain read: latch token through the
// agent and without it, and the headless agent left idle.

package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/zalando/go-keyring"
)

// measureToken times `latch token` with a valid token against keyread
// reading one item of the same size, runs of each interleaved.
func measureToken(b bins, env []string, issuer string, runs int) error {
	key, err := sessionItem(latchapp.KeychainService)
	if err != nil {
		return err
	}
	item, err := keyring.Get(latchapp.KeychainService, key)
	if err != nil {
		return fmt.Errorf("reading Latch's item: %w", err)
	}
	if err := exec.Command(b.keyread, "-write", strconv.Itoa(len(item))).Run(); err != nil {
		return err
	}
	defer keyring.Delete("latch-bench", "item")
	timed := func(name string, args ...string) (time.Duration, error) {
		cmd := exec.Command(name, args...)
		cmd.Env = env
		start := time.Now()
		out, err := cmd.Output()
		if err != nil || len(out) == 0 {
			return 0, fmt.Errorf("%s %v: %v", filepath.Base(name), args, err)
		}
		return time.Since(start), nil
	}
	// started is how long a program takes to start and exit, doing
	// nothing else.
	started := func(name string, args ...string) time.Duration {
		cmd := exec.Command(name, args...)
		cmd.Env = env
		start := time.Now()
		_ = cmd.Run()
		return time.Since(start)
	}
	direct := append(slices.Clone(env), "LATCH_AGENT=off")
	var agent, alone, base, latchFloor, goFloor []time.Duration
	for range runs + 1 { // the first run of each warms the caches (and starts the agent)
		latchFloor = append(latchFloor, started(b.latch, "--help"))
		goFloor = append(goFloor, started(b.keyread, "-h"))
		d, err := timed(b.latch, "token")
		if err != nil {
			return err
		}
		agent = append(agent, d)
		cmd := exec.Command(b.latch, "token")
		cmd.Env = direct
		start := time.Now()
		if out, err := cmd.Output(); err != nil || len(out) == 0 {
			return fmt.Errorf("latch token --agent off: %v", err)
		}
		alone = append(alone, time.Since(start))
		if d, err = timed(b.keyread); err != nil {
			return err
		}
		base = append(base, d)
	}
	report("latch token, through the agent", median(agent[1:]), median(base[1:]), "one-item read")
	report("latch token, through the agent", median(agent[1:]), median(alone[1:]), "latch token, agent off")
	report("latch token, agent off", median(alone[1:]), median(base[1:]), "one-item read")
	report("the floor: latch --help", median(latchFloor[1:]), median(base[1:]), "one-item read")
	report("the floor: a Go program's start", median(goFloor[1:]), median(base[1:]), "one-item read")
	fmt.Printf("%-34s %d bytes in one item\n", "  the credentials", len(item))
	return nil
}

// measureAgentIdle measures the headless agent's CPU time over the
// length given, from a second after its last request, and its resident
// memory at the end: the agent that latch token starts, holding one
// session.
func measureAgentIdle(b bins, env []string, length time.Duration) error {
	for _, args := range [][]string{{"agent", "stop"}, {"token"}} {
		cmd := exec.Command(b.latch, args...)
		cmd.Env = env
		if err := cmd.Run(); err != nil && args[0] == "token" {
			return fmt.Errorf("latch token: %w", err)
		}
	}
	cmd := exec.Command(b.latch, "agent", "status", "--json")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("latch agent status: %w", err)
	}
	var st struct {
		PID int `json:"pid"`
	}
	if err := json.Unmarshal(out, &st); err != nil {
		return err
	}
	time.Sleep(time.Second)
	before, err := cpuTime(st.PID)
	if err != nil {
		return err
	}
	time.Sleep(length)
	after, err := cpuTime(st.PID)
	if err != nil {
		return err
	}
	rss, err := residentKiB(st.PID)
	if err != nil {
		return err
	}
	perMinute := (after - before) * time.Duration(time.Minute) / length
	fmt.Printf("%-34s %8s a minute (over %s)   target <= 100ms\n", "headless agent, idle CPU", perMinute.Round(time.Millisecond), length)
	fmt.Printf("%-34s %6d MiB   target <= 30 MiB\n", "headless agent, resident memory", rss/1024)
	return nil
}
