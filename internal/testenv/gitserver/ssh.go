package gitserver

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/capstan-cd/capstan/internal/gitserve"
)

// SSHServer serves the bare repositories under Root over SSH. It accepts one
// public key, and runs git-upload-pack or git-receive-pack for exec requests.
type SSHServer struct {
	gitserve.Counter
	// Addr is the server's host:port.
	Addr string
	// Root holds the bare repositories.
	Root string
	// ClientKey is the PEM (OpenSSH) private key the server accepts.
	ClientKey string
	// HostKey is the server's public host key.
	HostKey ssh.PublicKey

	ln     net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// NewSSH starts an SSH Git server on 127.0.0.1 with fresh host and client
// keys. The server stops when the test ends.
func NewSSH(t testing.TB) *SSHServer {
	t.Helper()
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hostSigner, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	clientPub, clientPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(clientPriv, "capstan test")
	if err != nil {
		t.Fatal(err)
	}
	authorised, err := ssh.NewPublicKey(clientPub)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if string(key.Marshal()) == string(authorised.Marshal()) {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("key not authorised")
		},
	}
	cfg.AddHostKey(hostSigner)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &SSHServer{
		Addr:      ln.Addr().String(),
		Root:      t.TempDir(),
		ClientKey: string(pem.EncodeToMemory(block)),
		HostKey:   hostSigner.PublicKey(),
		ln:        ln,
		conns:     map[net.Conn]struct{}{},
	}
	s.wg.Add(1)
	go s.serve(cfg)
	t.Cleanup(s.Close)
	return s
}

// NewRepo creates an empty bare repository served as /<name>.git.
func (s *SSHServer) NewRepo(t testing.TB, name string) *Repo {
	t.Helper()
	return NewRepo(t, s.Root, name)
}

// RepoURL is the ssh:// URL of the repository name.
func (s *SSHServer) RepoURL(name string) string {
	return "ssh://git@" + s.Addr + "/" + name + ".git"
}

// KnownHosts is a known_hosts line for the server's host key.
func (s *SSHServer) KnownHosts() string {
	return knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, s.HostKey) + "\n"
}

// Close stops accepting connections and ends the open ones.
func (s *SSHServer) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.ln.Close()
	s.wg.Wait()
}

func (s *SSHServer) serve(cfg *ssh.ServerConfig) {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.conns[conn] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handleConn(conn, cfg)
			s.mu.Lock()
			delete(s.conns, conn)
			s.mu.Unlock()
		}()
	}
}

func (s *SSHServer) handleConn(conn net.Conn, cfg *ssh.ServerConfig) {
	defer conn.Close()
	sconn, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		return
	}
	defer sconn.Close()
	go ssh.DiscardRequests(reqs)
	var wg sync.WaitGroup
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.handleSession(ch, creqs)
		}()
	}
	wg.Wait()
}

func (s *SSHServer) handleSession(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		switch req.Type {
		case "env":
			_ = req.Reply(true, nil)
		case "exec":
			var payload struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &payload); err != nil {
				_ = req.Reply(false, nil)
				return
			}
			cmd, err := s.command(payload.Command)
			if err != nil {
				_ = req.Reply(false, nil)
				fmt.Fprintln(ch.Stderr(), err)
				exit(ch, 1)
				return
			}
			_ = req.Reply(true, nil)
			exit(ch, s.run(ch, cmd))
			return
		default:
			_ = req.Reply(false, nil)
		}
	}
}

// command maps "git-upload-pack '/name.git'" to the git command to run.
func (s *SSHServer) command(line string) (*exec.Cmd, error) {
	verb, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.Trim(strings.TrimSpace(arg), `'"`)
	var sub string
	switch verb {
	case "git-upload-pack":
		sub = "upload-pack"
		s.Add(gitserve.RepoName(arg), func(c *Counts) { c.Sessions++ })
	case "git-receive-pack":
		sub = "receive-pack"
	default:
		return nil, fmt.Errorf("command %q not allowed", verb)
	}
	dir := filepath.Join(s.Root, filepath.Clean("/"+arg))
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("repository %s not found", arg)
	}
	cmd := exec.Command("git", sub, dir)
	cmd.Env = append(os.Environ(), gitEnv...)
	return cmd, nil
}

// run connects the command to the channel and returns its exit status.
func (s *SSHServer) run(ch ssh.Channel, cmd *exec.Cmd) int {
	cmd.Stdout = ch
	cmd.Stderr = ch.Stderr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 1
	}
	if err := cmd.Start(); err != nil {
		return 1
	}
	// Not awaited: the client may keep its side open after the command ends.
	go func() {
		_, _ = io.Copy(stdin, ch)
		stdin.Close()
	}()
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		return 1
	}
	return 0
}

func exit(ch ssh.Channel, status int) {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, uint32(status))
	_, _ = ch.SendRequest("exit-status", false, b)
}
