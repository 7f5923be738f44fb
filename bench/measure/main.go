// Command measure takes Latch's measurements that a Go benchmark cannot:
// the desktop app's launch and idle cost against a bare Fyne window,
// `latch token` against the least a program can do to read one keychain
// item, and kubectl and git through Latch against the same tools given
// the token by their own means. Each figure is printed with its baseline, measured in the same
// run, and the ratio. bench/run starts it with a keychain and an X
// display; see bench/README.md.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/latchapp/latch/internal/testing/testbrowser"
)

func main() {
	runs := flag.Int("runs", 15, "runs of each launch and of each command")
	idle := flag.Duration("idle", 30*time.Second, "how long the idle CPU is measured")
	only := flag.String("only", "token,kubectl,git,launch,idle,agent-idle", "which measurements, comma-separated")
	flag.DurationVar(&tokenTTL, "token-ttl", tokenTTL, "the sandbox's access tokens' lifetime: with 2 minutes the profile's countdown shows seconds and the session renews while idle is measured; with an hour, as most providers give, it rests")
	flag.Parse()
	if err := run(*runs, *idle, strings.Split(*only, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(1)
	}
}

// bins are the programs measured, built as scripts/package builds them:
// latch is the command line (cmd/latch, without cgo), sandbox the sandbox
// provider it starts (cmd/latch-sandbox), desktop the app
// (the module root) as the desktop's menu starts it.
type bins struct{ latch, sandbox, desktop, bare, keyread string }

func run(runs int, idle time.Duration, only []string) error {
	dir, err := os.MkdirTemp("", "latch-measure")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b := bins{latch: filepath.Join(dir, "latch"), sandbox: filepath.Join(dir, "latch-sandbox"), desktop: filepath.Join(dir, "latch-desktop"), bare: filepath.Join(dir, "bare"), keyread: filepath.Join(dir, "keyread")}
	for _, p := range []struct{ out, pkg, cgo string }{
		{b.latch, "./cmd/latch", "0"}, {b.sandbox, "./cmd/latch-sandbox", "0"}, {b.desktop, ".", "1"}, {b.bare, "./bench/bare", "1"}, {b.keyread, "./bench/keyread", "0"},
	} {
		// The tag FyneApp.toml's migration sets in a package's build.
		build := exec.Command("go", "build", "-tags", "migrated_fynedo", "-o", p.out, p.pkg)
		build.Env = append(os.Environ(), "CGO_ENABLED="+p.cgo)
		if msg, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s: %v: %s", p.pkg, err, msg)
		}
	}
	// The agent's socket goes in a runtime folder of the run's own; the
	// commands use the agent (LATCH_AGENT=auto, the default) unless a
	// measurement says otherwise.
	runtime := filepath.Join(dir, "run")
	if err := os.Mkdir(runtime, 0o700); err != nil {
		return err
	}
	env := append(os.Environ(), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"), "XDG_RUNTIME_DIR="+runtime, "LATCH_AGENT=auto",
		"LATCH_ISSUER=", "LATCH_CLIENT_ID=", "LATCH_SANDBOX=", "LATCH_METADATA_API=", "LATCH_SCOPES=", "LATCH_AUDIENCE=", "LATCH_AUTH0_DOMAIN=", "LATCH_DPOP=")
	issuer, stop, err := startSandbox(b.latch, env)
	if err != nil {
		return err
	}
	defer stop()
	env = append(env, "LATCH_SANDBOX_ADDR="+strings.TrimPrefix(issuer, "http://"))
	if err := login(b.latch, env); err != nil {
		return err
	}
	defer func() {
		for _, args := range [][]string{{"logout"}, {"agent", "stop"}} {
			cmd := exec.Command(b.latch, args...)
			cmd.Env = env
			_ = cmd.Run()
		}
	}()
	fmt.Printf("machine: %s\n", machine())
	for _, m := range only {
		switch m {
		case "token":
			err = measureToken(b, env, issuer, runs)
		case "kubectl":
			err = measureKubectl(b, env, issuer, runs)
		case "git":
			err = measureGit(b, env, issuer, runs)
		case "launch":
			if err = watchMaps(); err == nil {
				err = measureLaunch(b, env, runs)
			}
		case "idle":
			if err = watchMaps(); err == nil {
				err = measureIdle(b, env, idle)
			}
		case "agent-idle":
			err = measureAgentIdle(b, env, idle)
		default:
			err = fmt.Errorf("unknown measurement %q", m)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// tokenTTL is the sandbox's access tokens' lifetime (-token-ttl).
var tokenTTL = 2 * time.Minute

// startSandbox runs `latch sandbox` on a free port.
func startSandbox(latch string, env []string) (string, func(), error) {
	cmd := exec.Command(latch, "sandbox", "--addr", "127.0.0.1:0", "--token-ttl", tokenTTL.String())
	cmd.Env = env
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if issuer, ok := strings.CutPrefix(sc.Text(), "issuer: "); ok {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return issuer, stop, nil
		}
	}
	stop()
	return "", nil, errors.New("the sandbox printed no issuer")
}

// login signs demo in with `latch login --no-browser`, as a person at a
// browser would.
func login(latch string, env []string) error {
	cmd := exec.Command(latch, "login", "--no-browser")
	cmd.Env = env
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		return errors.New("latch login printed no address")
	}
	if code, _, err := testbrowser.NewBrowser("demo", "demo").Visit(sc.Text()); err != nil || code != 200 {
		return fmt.Errorf("signing in: %d %v", code, err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return cmd.Wait()
}

// median is the middle of the durations.
func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

func report(name string, latch, base time.Duration, baseName string) {
	fmt.Printf("%-34s latch %8s   %-22s %8s   ratio %.2fx\n", name, latch.Round(10*time.Microsecond), baseName, base.Round(10*time.Microsecond), float64(latch)/float64(base))
}

// app is a desktop program started for a measurement.
type app struct {
	cmd   *exec.Cmd
	start time.Time
	// drawn says when the program's first content was first drawn, and
	// which screen it was (Latch's log, with --verbose; bare's line).
	drawn chan frame

	mu   sync.Mutex
	tail []string // the last lines of its stderr, for errors
}

type frame struct {
	at   time.Duration
	line string
}

func startApp(bin string, env []string, args ...string) (*app, error) {
	drainMaps()
	a := &app{cmd: exec.Command(bin, args...), drawn: make(chan frame, 1)}
	a.cmd.Env = env
	stderr, err := a.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	a.start = time.Now()
	if err := a.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			a.mu.Lock()
			a.tail = append(a.tail[max(0, len(a.tail)-19):], sc.Text())
			a.mu.Unlock()
			if strings.Contains(sc.Text(), `msg="first frame"`) {
				select {
				case a.drawn <- frame{at: time.Since(a.start), line: sc.Text()}:
				default:
				}
			}
		}
	}()
	return a, nil
}

func (a *app) stop() { _ = a.cmd.Process.Kill(); _ = a.cmd.Wait() }

// maps are the moments windows are mapped (shown) on the display, as
// one long-running X client (xev) sees them: polling with a client per
// look would crowd the X server and be no more precise.
var maps = make(chan time.Time, 64)

// watchMaps starts xev on the root window, once.
var watchMaps = sync.OnceValue(func() error {
	cmd := exec.Command("xev", "-root", "-event", "substructure")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("xev (x11-utils): %w", err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "MapNotify event") {
				select {
				case maps <- time.Now():
				default:
				}
			}
		}
	}()
	return nil
})

// drainMaps forgets the maps seen so far.
func drainMaps() {
	for {
		select {
		case <-maps:
		default:
			return
		}
	}
}

// visible waits for the program's window to be shown (the first map after
// it started), and says when.
func (a *app) visible(title string) (time.Duration, error) {
	select {
	case at := <-maps:
		return at.Sub(a.start), nil
	case <-time.After(30 * time.Second):
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return 0, fmt.Errorf("no window %q within 30 s; it said:\n%s", title, strings.Join(a.tail, "\n"))
}

// measureLaunch times process start to a shown window, and to the first
// frame of its content: the bare window's label, Latch's profile.
func measureLaunch(b bins, env []string, runs int) error {
	var bareShown, bareDrawn, shown, drawn []time.Duration
	launch := func(bin, title string, args ...string) (time.Duration, frame, error) {
		a, err := startApp(bin, env, args...)
		if err != nil {
			return 0, frame{}, err
		}
		defer a.stop()
		d, err := a.visible(title)
		if err != nil {
			return 0, frame{}, err
		}
		select {
		case f := <-a.drawn:
			return d, f, nil
		case <-time.After(30 * time.Second):
			return 0, frame{}, fmt.Errorf("%s drew nothing within 30 s", title)
		}
	}
	for range runs + 1 {
		d, f, err := launch(b.bare, "Bare")
		if err != nil {
			return err
		}
		bareShown, bareDrawn = append(bareShown, d), append(bareDrawn, f.at)
		if d, f, err = launch(b.desktop, "Latch", "--verbose"); err != nil {
			return err
		}
		if !strings.Contains(f.line, "screen=profile") {
			return fmt.Errorf("the first screen of Latch was not the profile: %s", f.line)
		}
		shown, drawn = append(shown, d), append(drawn, f.at)
	}
	report("launch: window shown (median)", median(shown[1:]), median(bareShown[1:]), "bare window shown")
	report("launch: profile drawn (median)", median(drawn[1:]), median(bareDrawn[1:]), "bare first frame")
	return nil
}

// measureIdle measures CPU time from the first second after the window
// shows, for the length given, and the resident memory at the end.
func measureIdle(b bins, env []string, length time.Duration) error {
	type figures struct {
		cpu time.Duration
		rss int64
	}
	measure := func(bin, title string, args ...string) (figures, error) {
		a, err := startApp(bin, env, args...)
		if err != nil {
			return figures{}, err
		}
		defer a.stop()
		if _, err := a.visible(title); err != nil {
			return figures{}, err
		}
		time.Sleep(time.Second)
		before, err := cpuTime(a.cmd.Process.Pid)
		if err != nil {
			return figures{}, err
		}
		time.Sleep(length)
		after, err := cpuTime(a.cmd.Process.Pid)
		if err != nil {
			return figures{}, err
		}
		rss, err := residentKiB(a.cmd.Process.Pid)
		return figures{cpu: after - before, rss: rss}, err
	}
	bare, err := measure(b.bare, "Bare")
	if err != nil {
		return err
	}
	latch, err := measure(b.desktop, "Latch")
	if err != nil {
		return err
	}
	report(fmt.Sprintf("idle CPU over %s from second 1", length), latch.cpu, bare.cpu, "bare window")
	fmt.Printf("%-34s latch %6d MiB   %-22s %6d MiB   ratio %.2fx\n", "resident memory", latch.rss/1024, "bare window", bare.rss/1024, float64(latch.rss)/float64(bare.rss))
	return nil
}

// cpuTime is the user and system time of a process (/proc/PID/stat).
func cpuTime(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command, which is in parentheses.
	fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks, nil
}

// residentKiB is a process's resident memory (VmRSS).
func residentKiB(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmRSS")
}

// machine describes the machine the figures come from.
func machine() string {
	cpu := "unknown CPU"
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(raw)) {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	out, _ := exec.Command("nproc").Output()
	return fmt.Sprintf("%s, %s cores, %s", cpu, strings.TrimSpace(string(out)), time.Now().Format(time.DateOnly))
}

// sessionItem is the key of the session's credentials among service's
// items in the Secret Service: the one named "session-…" without a
// suffix (the named tokens, the DPoP key and the revocation queue have
// one).
func sessionItem(service string) (string, error) {
	conn, err := dbus.SessionBus()
	if err != nil {
		return "", err
	}
	secrets := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets")
	var unlocked, locked []dbus.ObjectPath
	if err := secrets.Call("org.freedesktop.Secret.Service.SearchItems", 0, map[string]string{"service": service}).Store(&unlocked, &locked); err != nil {
		return "", err
	}
	for _, path := range append(unlocked, locked...) {
		v, err := conn.Object("org.freedesktop.secrets", path).GetProperty("org.freedesktop.Secret.Item.Attributes")
		if err != nil {
			return "", err
		}
		attrs, _ := v.Value().(map[string]string)
		if user := attrs["username"]; strings.HasPrefix(user, "session-") && !strings.Contains(user, ".") {
			return user, nil
		}
	}
	return "", errors.New("no session of Latch's is in the keychain")
}
