package source

import (
	"fmt"
	"path"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// treeChange is an entry that differs between two trees: From is the entry
// in the first, To in the second, each named by its path from the root; a
// zero entry (no Name) is an absent one. A directory appears as a change
// only when it is absent from one side or is a file there: From a
// directory means that everything under its path in the first tree is
// gone.
type treeChange struct {
	From, To object.TreeEntry
}

// diffTrees lists what differs from tree a to tree b: the files changed,
// added or removed, and the directories removed whole. It reads only the
// subtrees whose hashes differ (go-git's DiffTree reads every subtree of a
// directory that changed: 1.5 s for one file in 10,000 directories), and
// each added directory whole, so that a missing object is an error.
func (lr *localRepo) diffTrees(a, b *object.Tree) ([]treeChange, error) {
	var out []treeChange
	err := lr.diffInto(&out, "", a, b)
	return out, err
}

func (lr *localRepo) diffInto(out *[]treeChange, prefix string, a, b *object.Tree) error {
	old := map[string]object.TreeEntry{}
	if a != nil {
		for _, e := range a.Entries {
			old[e.Name] = e
		}
	}
	var entries []object.TreeEntry
	if b != nil {
		entries = b.Entries
	}
	for _, e := range entries {
		name := path.Join(prefix, e.Name)
		was, ok := old[e.Name]
		delete(old, e.Name)
		if ok && was.Hash == e.Hash && was.Mode == e.Mode {
			continue
		}
		isDir, wasDir := e.Mode == filemode.Dir, ok && was.Mode == filemode.Dir
		if isDir && wasDir {
			if err := lr.diffSubtrees(out, name, was, e); err != nil {
				return err
			}
			continue
		}
		var c treeChange
		if ok {
			c.From = was
			c.From.Name = name
		}
		if !isDir {
			c.To = e
			c.To.Name = name
		}
		if c.From.Name != "" || c.To.Name != "" {
			*out = append(*out, c)
		}
		if isDir {
			sub, err := lr.decodedTree(e.Hash)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err := lr.diffInto(out, name, nil, sub); err != nil {
				return err
			}
		}
	}
	for _, was := range old {
		name := path.Join(prefix, was.Name)
		from := was
		from.Name = name
		*out = append(*out, treeChange{From: from})
	}
	return nil
}

// diffSubtrees compares the subtrees of two directory entries.
func (lr *localRepo) diffSubtrees(out *[]treeChange, name string, was, e object.TreeEntry) error {
	a, err := lr.decodedTree(was.Hash)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	b, err := lr.decodedTree(e.Hash)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return lr.diffInto(out, name, a, b)
}
