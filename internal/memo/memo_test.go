package memo

import "testing"

// A Memo answers what it was told, and past its size starts afresh:
// it never holds more than its maximum.
func TestMemoRemembersUpToItsSize(t *testing.T) {
	m := New[string, int](2)
	if _, ok := m.Get("a"); ok {
		t.Fatal("an empty Memo answered")
	}
	m.Put("a", 1)
	m.Put("b", 2)
	if v, ok := m.Get("a"); !ok || v != 1 {
		t.Fatalf("Get(a) = %d, %v; want 1, true", v, ok)
	}
	m.Put("c", 3)
	if _, ok := m.Get("a"); ok {
		t.Error("a full Memo kept what it held before")
	}
	if v, ok := m.Get("c"); !ok || v != 3 {
		t.Errorf("Get(c) = %d, %v; want 3, true", v, ok)
	}
	if n := len(m.m); n > 2 {
		t.Errorf("holds %d entries, more than its 2", n)
	}
}
