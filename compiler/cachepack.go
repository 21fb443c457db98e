package compiler

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/atomicfile"
)

// A cache directory holds packs: files that each hold the entries one run
// evaluated, written atomically once (a file per entry would cost a file
// creation per configuration file on a cold run). A pack is
//
//	magic | format u32 | count u32 | data length u64 | sha256 of the index
//	index: count × (key [32] | offset u64 | length u32 | sha256 of the entry),
//	       sorted by key
//	data: the entries
//
// A run reads the index of every pack when it opens the directory, and
// keeps it as read, looking keys up by binary search; it reads an entry's
// bytes only when it needs them, checking their sum. A run streams
// the entries it evaluates to a temporary file as they come, keeping only
// their index in memory, and makes its pack of them when it closes the
// directory (copied behind the header and index, then renamed). Eviction
// removes whole packs, least recently used first; many small packs (the
// few files each pull request changes) are merged into one.

var packMagic = []byte("frontdoor cache\n")

const (
	packHeader     = 16 + 4 + 4 + 8 + sha256.Size
	packIndexEntry = sha256.Size + 8 + 4 + sha256.Size
	packSuffix     = ".pack"
	// packStreamBuffer buffers the writes of new entries to their
	// temporary file.
	packStreamBuffer = 256 << 10
	// packRoll is how many bytes of entries a stream takes before it is
	// made a pack and the run's next entries start another.
	packRoll = 64 << 20
	// packsMerged is how many packs a directory may hold before the small
	// ones are merged.
	packsMerged = 16
	// touchAfter is how stale a used pack's time may be before the run
	// refreshes it.
	touchAfter = time.Minute
)

type packDir struct {
	dir  string
	max  int64
	roll int64 // packRoll, but in tests

	mu      sync.Mutex
	packs   []*pack
	stream  *packStream // the entries of this run, nil until the first
	written int64
	closed  bool
}

// packStream is the data of a pack being written: the entries go to a
// temporary file, their index stays in memory. The run reads its entries
// back from the file (a diff's head those of its base).
type packStream struct {
	f       *os.File
	w       *bufio.Writer
	idx     []byte               // index entries, offsets from the data's start
	refs    map[cacheKey]packRef // of idx, made when first needed
	dataLen int64
	failed  bool // a write failed: the entries are lost
}

type pack struct {
	path  string
	f     *os.File
	size  int64
	mtime time.Time
	used  bool
	// idx is the pack's index as read, checked and sorted; data is where
	// its entries start in the file.
	idx  []byte
	data int64
}

type packRef struct {
	p   *pack
	off int64
	n   uint32
	sum [sha256.Size]byte
}

// count is how many entries p holds.
func (p *pack) count() int { return len(p.idx) / packIndexEntry }

// ref returns the i-th entry of p's index.
func (p *pack) ref(i int) (cacheKey, packRef) {
	e := p.idx[i*packIndexEntry:]
	var k cacheKey
	copy(k[:], e)
	r := packRef{p: p, off: p.data + int64(binary.BigEndian.Uint64(e[sha256.Size:])), n: binary.BigEndian.Uint32(e[sha256.Size+8:])}
	copy(r.sum[:], e[sha256.Size+12:])
	return k, r
}

// find looks k up in p's index.
func (p *pack) find(k cacheKey) (packRef, bool) {
	n := p.count()
	i := sort.Search(n, func(i int) bool { return bytes.Compare(p.key(i), k[:]) >= 0 })
	if i == n || !bytes.Equal(p.key(i), k[:]) {
		return packRef{}, false
	}
	_, r := p.ref(i)
	return r, true
}

// key is the key of the i-th entry of p's index.
func (p *pack) key(i int) []byte {
	return p.idx[i*packIndexEntry : i*packIndexEntry+sha256.Size]
}

type packEntry struct {
	key cacheKey
	b   []byte
}

func openPackDir(dir string, max int64) (*packDir, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	d := &packDir{dir: dir, max: max, roll: packRoll}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), packSuffix) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p, err := openPack(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // corrupt, foreign or removed: ignored
		}
		d.packs = append(d.packs, p)
	}
	return d, nil
}

// openPack reads and checks a pack's header and index.
func openPack(path string) (*pack, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	p, err := readPackIndex(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	p.path = path
	return p, nil
}

var errBadPack = errors.New("not a valid cache pack")

// readPackIndex reads and checks a pack's header and index: every entry
// within the data, the keys sorted.
func readPackIndex(f *os.File) (*pack, error) {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, errBadPack
	}
	h := make([]byte, packHeader)
	if _, err := io.ReadFull(f, h); err != nil || !bytes.Equal(h[:16], packMagic) || binary.BigEndian.Uint32(h[16:]) != cacheFormat {
		return nil, errBadPack
	}
	count := int64(binary.BigEndian.Uint32(h[20:]))
	dataLen := binary.BigEndian.Uint64(h[24:])
	if count*packIndexEntry > fi.Size() || dataLen > uint64(fi.Size()) || packHeader+count*packIndexEntry+int64(dataLen) != fi.Size() {
		return nil, errBadPack
	}
	idx := make([]byte, count*packIndexEntry)
	if _, err := io.ReadFull(f, idx); err != nil {
		return nil, errBadPack
	}
	if sum := sha256.Sum256(idx); !bytes.Equal(sum[:], h[32:32+sha256.Size]) {
		return nil, errBadPack
	}
	p := &pack{f: f, size: fi.Size(), mtime: fi.ModTime(), idx: idx, data: packHeader + count*packIndexEntry}
	for i := range int(count) {
		e := idx[i*packIndexEntry:]
		off := binary.BigEndian.Uint64(e[sha256.Size:])
		n := uint64(binary.BigEndian.Uint32(e[sha256.Size+8:]))
		if off > dataLen || n > dataLen-off || i > 0 && bytes.Compare(p.key(i-1), p.key(i)) > 0 {
			return nil, errBadPack
		}
	}
	return p, nil
}

// get reads and checks the entry of k, into *buf, from the newest pack
// that holds it whole (packs are named by the time they were written).
func (d *packDir) get(k cacheKey, buf *[]byte) ([]byte, bool) {
	d.mu.Lock()
	packs := d.packs
	d.mu.Unlock()
	for i := len(packs) - 1; i >= 0; i-- {
		r, ok := packs[i].find(k)
		if !ok {
			continue
		}
		if b, ok := readEntry(r.p.f, r, buf); ok {
			d.mu.Lock()
			r.p.used = true
			d.mu.Unlock()
			return b, true
		}
	}
	// An entry of this run is read back from its stream, written out so
	// far.
	d.mu.Lock()
	s := d.stream
	r, ok := packRef{}, false
	if s != nil && !s.failed {
		if s.refs == nil {
			s.refs = s.index()
		}
		if r, ok = s.refs[k]; ok && s.w.Flush() != nil {
			s.failed, ok = true, false
		}
	}
	d.mu.Unlock()
	if !ok {
		return nil, false
	}
	return readEntry(s.f, r, buf)
}

// index returns the entries of s by key.
func (s *packStream) index() map[cacheKey]packRef {
	p := pack{idx: s.idx}
	refs := make(map[cacheKey]packRef, p.count())
	for i := range p.count() {
		k, r := p.ref(i)
		refs[k] = r
	}
	return refs
}

// readEntry reads entry r of file f into *buf and checks its sum.
func readEntry(f *os.File, r packRef, buf *[]byte) ([]byte, bool) {
	if cap(*buf) < int(r.n) {
		*buf = make([]byte, r.n)
	}
	b := (*buf)[:r.n]
	if _, err := f.ReadAt(b, r.off); err != nil || sha256.Sum256(b) != r.sum {
		return nil, false
	}
	return b, true
}

// put writes a new entry to the run's stream, keeping none of b; a
// failed write only loses the run's entries. An entry put twice is
// written twice, and read as one.
func (d *packDir) put(k cacheKey, b []byte) {
	sum := sha256.Sum256(b)
	d.mu.Lock()
	full := d.putLocked(k, b, &sum)
	d.mu.Unlock()
	d.finish(full)
}

// putLocked is put, returning the stream to finish when it is full.
func (d *packDir) putLocked(k cacheKey, b []byte, sum *[sha256.Size]byte) (full *packStream) {
	if d.closed {
		return nil
	}
	if d.stream == nil {
		f, err := os.CreateTemp(d.dir, ".data"+packSuffix+".tmp-*")
		d.stream = &packStream{f: f, failed: err != nil}
		if err == nil {
			d.stream.w = bufio.NewWriterSize(f, packStreamBuffer)
		}
	}
	s := d.stream
	if s.failed {
		return nil
	}
	if _, err := s.w.Write(b); err != nil {
		s.failed = true
		return nil
	}
	s.idx = append(s.idx, k[:]...)
	s.idx = binary.BigEndian.AppendUint64(s.idx, uint64(s.dataLen))
	s.idx = binary.BigEndian.AppendUint32(s.idx, uint32(len(b)))
	s.idx = append(s.idx, sum[:]...)
	if s.refs != nil {
		s.refs[k] = packRef{off: s.dataLen, n: uint32(len(b)), sum: *sum}
	}
	s.dataLen += int64(len(b))
	if s.dataLen >= d.roll {
		d.stream = nil
		return s
	}
	return nil
}

// finish makes the stream's entries a pack, written atomically: header
// and index, then the data copied from the temporary file, renamed into
// place. The temporary file is removed in every case.
func (d *packDir) finish(s *packStream) {
	if s == nil || s.f == nil {
		return
	}
	defer func() {
		s.f.Close()
		os.Remove(s.f.Name())
	}()
	if s.failed || len(s.idx) == 0 || s.w.Flush() != nil {
		return
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return
	}
	head := packHead(len(s.idx)/packIndexEntry, s.dataLen, sortIndex(s.idx))
	name := fmt.Sprintf("%016x-%08x%s", time.Now().UnixNano(), rand.Uint32(), packSuffix)
	data := io.LimitReader(s.f, s.dataLen)
	path := filepath.Join(d.dir, name)
	if atomicfile.WriteFromUnsynced(path, io.MultiReader(bytes.NewReader(head), data), 0o600) != nil {
		return
	}
	// The run goes on reading the entries from their pack.
	p, err := openPack(path)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.written += int64(len(head)) + s.dataLen
	switch {
	case err != nil:
	case d.closed:
		p.f.Close()
	default:
		d.packs = append(d.packs, p)
	}
}

// sortIndex returns the entries of index idx sorted by key.
func sortIndex(idx []byte) []byte {
	n := len(idx) / packIndexEntry
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return bytes.Compare(idx[a*packIndexEntry:a*packIndexEntry+sha256.Size], idx[b*packIndexEntry:b*packIndexEntry+sha256.Size])
	})
	out := make([]byte, 0, len(idx))
	for _, i := range order {
		out = append(out, idx[i*packIndexEntry:(i+1)*packIndexEntry]...)
	}
	return out
}

// packHead is a pack's header and index.
func packHead(count int, dataLen int64, idx []byte) []byte {
	buf := make([]byte, 0, packHeader+len(idx))
	buf = append(buf, packMagic...)
	buf = binary.BigEndian.AppendUint32(buf, cacheFormat)
	buf = binary.BigEndian.AppendUint32(buf, uint32(count))
	buf = binary.BigEndian.AppendUint64(buf, uint64(dataLen))
	isum := sha256.Sum256(idx)
	buf = append(buf, isum[:]...)
	return append(buf, idx...)
}

// write writes entries as a new pack (a merge). A failed write only
// loses them.
func (d *packDir) write(entries []packEntry) {
	if len(entries) == 0 {
		return
	}
	slices.SortFunc(entries, func(a, b packEntry) int { return bytes.Compare(a.key[:], b.key[:]) })
	entries = slices.CompactFunc(entries, func(a, b packEntry) bool { return a.key == b.key })
	var dataLen int
	for _, e := range entries {
		dataLen += len(e.b)
	}
	idx := make([]byte, 0, len(entries)*packIndexEntry)
	off := 0
	for _, e := range entries {
		sum := sha256.Sum256(e.b)
		idx = append(idx, e.key[:]...)
		idx = binary.BigEndian.AppendUint64(idx, uint64(off))
		idx = binary.BigEndian.AppendUint32(idx, uint32(len(e.b)))
		idx = append(idx, sum[:]...)
		off += len(e.b)
	}
	buf := slices.Grow(packHead(len(entries), int64(dataLen), idx), dataLen)
	for _, e := range entries {
		buf = append(buf, e.b...)
	}
	name := fmt.Sprintf("%016x-%08x%s", time.Now().UnixNano(), rand.Uint32(), packSuffix)
	if atomicfile.WriteUnsynced(filepath.Join(d.dir, name), buf, 0o600) == nil {
		d.mu.Lock()
		d.written += int64(len(buf))
		d.mu.Unlock()
	}
}

// close writes what is pending, refreshes the time of the packs used,
// merges small packs and evicts beyond the bound.
func (d *packDir) close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	stream := d.stream
	d.stream = nil
	d.mu.Unlock()
	d.finish(stream)
	now := time.Now()
	for _, p := range d.packs {
		if p.used && now.Sub(p.mtime) > touchAfter {
			_ = os.Chtimes(p.path, now, now)
		}
		p.f.Close()
	}
	if d.written == 0 {
		return nil
	}
	d.merge()
	return d.trim()
}

// merge rewrites the small packs of the directory as one, when there are
// more than packsMerged. Entries of a pack that cannot be read are
// dropped: they will be evaluated again.
func (d *packDir) merge() {
	infos := d.list()
	if len(infos) <= packsMerged {
		return
	}
	slices.SortFunc(infos, func(a, b packInfo) int { return cmp.Compare(a.size, b.size) })
	var entries []packEntry
	var merged []string
	var total int64
	for _, pi := range infos[:len(infos)-packsMerged/2] {
		if total+pi.size > d.max/8 {
			break
		}
		p, err := openPack(pi.path)
		if err != nil {
			continue
		}
		for i := range p.count() {
			k, r := p.ref(i)
			b := make([]byte, r.n)
			if _, err := p.f.ReadAt(b, r.off); err == nil && sha256.Sum256(b) == r.sum {
				entries = append(entries, packEntry{k, b})
			}
		}
		p.f.Close()
		merged = append(merged, pi.path)
		total += pi.size
	}
	if len(merged) < 2 {
		return
	}
	d.write(entries)
	for _, p := range merged {
		os.Remove(p)
	}
}

type packInfo struct {
	path string
	size int64
	used time.Time
}

// list returns the packs in the directory, and removes temporary files
// left by interrupted writes.
func (d *packDir) list() []packInfo {
	ents, err := os.ReadDir(d.dir)
	if err != nil {
		return nil
	}
	var out []packInfo
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		p := filepath.Join(d.dir, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), "."):
			if time.Since(fi.ModTime()) > time.Hour {
				os.Remove(p)
			}
		case strings.HasSuffix(e.Name(), packSuffix):
			out = append(out, packInfo{p, fi.Size(), fi.ModTime()})
		}
	}
	return out
}

// trim removes the least recently used packs until the directory is within
// nine tenths of its bound, if it is over it.
func (d *packDir) trim() error {
	infos := d.list()
	var total int64
	for _, pi := range infos {
		total += pi.size
	}
	if total <= d.max {
		return nil
	}
	slices.SortFunc(infos, func(a, b packInfo) int { return a.used.Compare(b.used) })
	for _, pi := range infos {
		if total <= d.max/10*9 {
			break
		}
		if err := os.Remove(pi.path); err == nil || errors.Is(err, fs.ErrNotExist) {
			total -= pi.size
		}
	}
	return nil
}
