package outdir

import (
	"bufio"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

const (
	tmpPrefix = ".smd-tmp-"
	oldPrefix = ".smd-old-"
	// Manifest is the file of a committed set that lists its own
	// top-level entries, one a line: what the next run may replace.
	Manifest = ".smd-outputs"
)

// owner is this process's OWNER token, HOST-PID-START.
var owner = func() string {
	return fmt.Sprintf("%s-%d-%d", hostHash(), os.Getpid(), startTicks(os.Getpid()))
}()

func hostHash() string {
	h, _ := os.Hostname()
	f := fnv.New32a()
	f.Write([]byte(h))
	return fmt.Sprintf("%08x", f.Sum32())
}

// stale reports whether tok (HOST-PID-START) names a process of this host
// that is gone, or whose id now belongs to another process.
func stale(tok string) bool {
	f := strings.Split(tok, "-")
	if len(f) != 3 || f[0] != hostHash() || tok == owner {
		return false
	}
	pid, err1 := strconv.Atoi(f[1])
	start, err2 := strconv.ParseUint(f[2], 10, 64)
	if err1 != nil || err2 != nil || pid <= 0 {
		return false
	}
	if !alive(pid) {
		return true
	}
	if start == 0 {
		return false
	}
	now := startTicks(pid)
	return now != 0 && now != start
}

// startTicks is field 22 of /proc/PID/stat, the process's start time in
// clock ticks after boot (proc(5)); 0 where there is no /proc.
func startTicks(pid int) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')') // the command name may hold spaces
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:])) // field 3 onwards
	if len(f) < 20 {
		return 0
	}
	v, _ := strconv.ParseUint(f[19], 10, 64)
	return v
}

func randToken() string { return strconv.FormatUint(rand.Uint64()&(1<<40-1), 36) }

// parseDir splits a sibling's name, PREFIX OWNER-RAND-BASE, into its owner
// token and BASE.
func parseDir(name, prefix string) (tok, base string, ok bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return "", "", false
	}
	f := strings.SplitN(rest, "-", 5)
	if len(f) != 5 {
		return "", "", false
	}
	return strings.Join(f[:3], "-"), f[4], true
}

// parseFile splits a WriteAtomic temporary's name, .BASE.tmp-OWNER-RAND,
// into its owner token and BASE.
func parseFile(name string) (tok, base string, ok bool) {
	i := strings.LastIndex(name, ".tmp-")
	if i < 1 || name[0] != '.' {
		return "", "", false
	}
	f := strings.Split(name[i+len(".tmp-"):], "-")
	if len(f) != 4 {
		return "", "", false
	}
	return strings.Join(f[:3], "-"), name[1:i], true
}

// isTemp reports whether name is one of smd's temporaries: a sibling
// folder, or a WriteAtomic file of this or an older smd (.BASE.tmp-RAND).
func isTemp(name string) bool {
	if strings.HasPrefix(name, tmpPrefix) || strings.HasPrefix(name, oldPrefix) || strings.HasPrefix(name, ".smd-probe-") {
		return true
	}
	return name[0] == '.' && strings.Contains(name, ".tmp-")
}

var cleaned sync.Map // parent folders already cleaned by this process

// Clean removes the provably stale temporaries of smd's naming in dir
// (once per folder and process): sibling folders and WriteAtomic files
// whose owner is gone. A stale .smd-old- folder whose output folder is
// missing (a run killed between the two renames of a commit) is put back.
func Clean(dir string) {
	if _, done := cleaned.LoadOrStore(filepath.Clean(dir), true); done {
		return
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		name := e.Name()
		if tok, base, ok := parseDir(name, tmpPrefix); ok && stale(tok) {
			os.RemoveAll(filepath.Join(dir, name))
		} else if tok, base, ok = parseDir(name, oldPrefix); ok && stale(tok) {
			if _, err := os.Lstat(filepath.Join(dir, base)); errors.Is(err, fs.ErrNotExist) {
				os.Rename(filepath.Join(dir, name), filepath.Join(dir, base))
			} else {
				os.RemoveAll(filepath.Join(dir, name))
			}
		} else if tok, _, ok = parseFile(name); ok && stale(tok) {
			os.Remove(filepath.Join(dir, name))
		}
	}
}

// Set is one run's output files under construction in a temporary sibling
// of the output folder.
type Set struct {
	final, tmp string
	done       bool
}

// Create starts the output set of folder dir: it removes the stale
// temporaries beside dir and makes the temporary sibling the files are
// written into. dir itself is not touched until Commit. When dir is a
// symbolic link, the folder it points to is the output folder.
func Create(dir string) (*Set, error) {
	final := filepath.Clean(dir)
	if st, err := os.Lstat(final); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		// A link to a folder: the set replaces the folder it points to,
		// and the link stays.
		target, err := filepath.EvalSymlinks(final)
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", final, err)
		}
		final = target
	}
	parent, base := filepath.Split(final)
	if parent == "" {
		parent = "."
	}
	if base == "" || base == "." || base == ".." {
		abs, err := filepath.Abs(final)
		if err != nil {
			return nil, err
		}
		parent, base = filepath.Split(abs)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", final, err)
	}
	Clean(parent)
	tmp := filepath.Join(parent, tmpPrefix+owner+"-"+randToken()+"-"+base)
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", final, err)
	}
	return &Set{final: final, tmp: tmp}, nil
}

// Dir is the temporary folder the set is written into (a library that
// writes files itself, like checkpoints, is given paths inside it).
func (s *Set) Dir() string { return s.tmp }

// Final is the output folder the set will appear as.
func (s *Set) Final() string { return s.final }

// Path is the temporary path of the set's file name (slash-separated
// names make sub-folders).
func (s *Set) Path(name string) string { return filepath.Join(s.tmp, filepath.FromSlash(name)) }

// WriteFile writes the set's file name through write (buffered, mode 0644
// less the umask). An error names the file's final path and says that
// nothing was put in place: the caller discards the set.
func (s *Set) WriteFile(name string, write func(w io.Writer) error) error {
	err := writeFile(s.Path(name), write)
	if err != nil {
		return fmt.Errorf("write %s: %w (nothing written: %s is as it was)", filepath.Join(s.final, filepath.FromSlash(name)), unwrapPath(err), s.final)
	}
	return nil
}

func writeFile(path string, write func(w io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	err = write(wrapWriter(bw))
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// wrapWriter is the identity; tests replace it to inject write errors.
var wrapWriter = func(w io.Writer) io.Writer { return w }

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Discard removes the temporary folder of a set not committed; after
// Commit it does nothing. Deferred by every caller.
func (s *Set) Discard() {
	if !s.done {
		s.done = true
		os.RemoveAll(s.tmp)
	}
}

// Commit puts the set in place as the output folder, in one rename. Entries
// of an earlier folder that its manifest does not list as smd's, and that
// the new set does not write, are kept (hard-linked into the new set
// first). On error the set is discarded and the folder is as it was.
func (s *Set) Commit() (err error) {
	if s.done {
		return errors.New("outdir: Commit after Commit or Discard")
	}
	defer func() {
		if err != nil {
			s.Discard()
			err = fmt.Errorf("put %s in place: %w (nothing written: %s is as it was)", s.final, unwrapPath(err), s.final)
		}
	}()
	names, err := readNames(s.tmp)
	if err != nil {
		return err
	}
	old, err := os.ReadDir(s.final)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	own := ownNames(s.final)
	for _, e := range old {
		n := e.Name()
		if n == Manifest || isTemp(n) || own[n] || slices.Contains(names, n) {
			continue
		}
		if err := linkTree(filepath.Join(s.final, n), filepath.Join(s.tmp, n)); err != nil {
			return fmt.Errorf("keep %s: %w", filepath.Join(s.final, n), err)
		}
	}
	if err := writeFile(filepath.Join(s.tmp, Manifest), func(w io.Writer) error {
		_, err := io.WriteString(w, strings.Join(names, "\n")+"\n")
		return err
	}); err != nil {
		return err
	}
	if !exists {
		if err := os.Rename(s.tmp, s.final); err != nil {
			return err
		}
		s.done = true
		return nil
	}
	if err := exchange(s.tmp, s.final); err != nil {
		return err
	}
	s.done = true
	os.RemoveAll(s.tmp) // now the earlier set
	return nil
}

// swapByRenames is exchange where the system has no atomic exchange: final
// moves to a .smd-old- sibling, tmp onto final, and the old set to tmp's
// name. A kill between the first two renames leaves no final folder;
// Clean puts the old one back.
func swapByRenames(tmp, final string) error {
	parent, base := filepath.Split(final)
	old := filepath.Join(parent, oldPrefix+owner+"-"+randToken()+"-"+base)
	if err := os.Rename(final, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Rename(old, final)
		return err
	}
	return os.Rename(old, tmp)
}

// readNames lists dir's entries but the manifest, sorted.
func readNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if e.Name() != Manifest {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// ownNames is the set of names the manifest of folder dir lists.
func ownNames(dir string) map[string]bool {
	b, err := os.ReadFile(filepath.Join(dir, Manifest))
	if err != nil {
		return nil
	}
	own := map[string]bool{}
	for _, n := range strings.Split(string(b), "\n") {
		if n != "" && !strings.ContainsAny(n, `/\`) {
			own[n] = true
		}
	}
	return own
}

// linkTree hard-links src (a file, a symbolic link, or a folder, whose
// files are linked one by one) to dst.
func linkTree(src, dst string) error {
	st, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return os.Link(src, dst)
	}
	if err := os.Mkdir(dst, st.Mode().Perm()); err != nil {
		return err
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := linkTree(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// WriteAtomic writes one file through write into a temporary file in the
// same folder, .BASE.tmp-OWNER-RAND, and renames it onto path, so that a
// killed run never leaves a half file under path; stale temporaries of the
// folder are removed first. The folder must exist. The file's mode is
// 0644 less the umask (os.CreateTemp would make it 0600).
func WriteAtomic(path string, write func(w io.Writer) error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	Clean(dir)
	for range 100 {
		tmp := filepath.Join(dir, "."+base+".tmp-"+owner+"-"+randToken())
		err := writeFile(tmp, write)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err == nil {
			err = os.Rename(tmp, path)
		}
		if err != nil {
			os.Remove(tmp)
			return fmt.Errorf("write %s: %w", path, unwrapPath(err))
		}
		return nil
	}
	return fmt.Errorf("write %s: cannot find a free temporary name in %s", path, dir)
}

// Probe checks that folder dir takes a file: it creates .smd-probe-OWNER-RAND
// and removes it at once.
func Probe(dir string) error {
	name := filepath.Join(dir, ".smd-probe-"+owner+"-"+randToken())
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, unwrapPath(err))
	}
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("cannot remove the probe file %s: %w", name, unwrapPath(err))
	}
	return nil
}
