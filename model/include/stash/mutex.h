// A mutex and its scoped lock, annotated for clang's -Wthread-safety, so
// that the compiler checks every access to a member declared
// STASH_GUARDED_BY(mutex_) is made with mutex_ held. Every lock in the
// backends is one of these (the clang preset builds with -Wthread-safety
// -Werror). With other compilers the annotations are empty.
#ifndef STASH_MUTEX_H_
#define STASH_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>

#if defined(__clang__)
#define STASH_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define STASH_THREAD_ANNOTATION(x)
#endif

#define STASH_CAPABILITY(name) STASH_THREAD_ANNOTATION(capability(name))
#define STASH_SCOPED_CAPABILITY STASH_THREAD_ANNOTATION(scoped_lockable)
#define STASH_GUARDED_BY(m) STASH_THREAD_ANNOTATION(guarded_by(m))
#define STASH_PT_GUARDED_BY(m) STASH_THREAD_ANNOTATION(pt_guarded_by(m))
#define STASH_REQUIRES(...) STASH_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define STASH_EXCLUDES(...) STASH_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define STASH_ACQUIRE(...) STASH_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define STASH_RELEASE(...) STASH_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define STASH_TRY_ACQUIRE(...) STASH_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define STASH_ASSERT_CAPABILITY(x) STASH_THREAD_ANNOTATION(assert_capability(x))
#define STASH_NO_THREAD_SAFETY_ANALYSIS STASH_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace stash {

class STASH_CAPABILITY("mutex") Mutex {
 public:
  void lock() STASH_ACQUIRE() { mutex_.lock(); }
  void unlock() STASH_RELEASE() { mutex_.unlock(); }

  // Waits on `cv` with this mutex held by the caller (through a MutexLock
  // further up): releases it while waiting and holds it again on return.
  // Lets a function that STASH_REQUIRES the mutex wait without being handed
  // the lock object. The caller re-checks its condition in a loop.
  void wait(std::condition_variable& cv) STASH_REQUIRES(this) {
    std::unique_lock<std::mutex> held(mutex_, std::adopt_lock);
    cv.wait(held);
    (void)held.release();  // Still held, and still the caller's to release.
  }

  // As wait(), but gives up at `deadline`.
  std::cv_status wait_until(std::condition_variable& cv,
                            std::chrono::steady_clock::time_point deadline) STASH_REQUIRES(this) {
    std::unique_lock<std::mutex> held(mutex_, std::adopt_lock);
    const std::cv_status status = cv.wait_until(held, deadline);
    (void)held.release();
    return status;
  }

 private:
  friend class MutexLock;
  std::mutex mutex_;
};

// Holds a Mutex for its scope (like std::unique_lock: it can wait on a
// condition variable, which releases the mutex while waiting).
class STASH_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) STASH_ACQUIRE(mutex) : lock_(mutex.mutex_) {}
  ~MutexLock() STASH_RELEASE() = default;
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  // Releases the mutex early / takes it again, e.g. around slow work that
  // needs no lock (the analysis tracks which state the lock is in).
  void unlock() STASH_RELEASE() { lock_.unlock(); }
  void lock() STASH_ACQUIRE() { lock_.lock(); }

  // Waits on `cv` until notified (or spuriously woken), releasing the mutex
  // meanwhile; the caller re-checks its condition in a loop. Written as a
  // loop in the caller, the condition's reads of guarded members are
  // checked; inside a predicate lambda they would not be.
  void wait(std::condition_variable& cv) { cv.wait(lock_); }

  // Blocks until `done()` holds, releasing the mutex while waiting on `cv`;
  // holds it again when it returns (so, to the analysis, it is held
  // throughout).
  template <typename Predicate>
  void wait(std::condition_variable& cv, Predicate done) {
    cv.wait(lock_, std::move(done));
  }

  // Waits on `cv` until notified (or spuriously woken) or until `deadline`,
  // releasing the mutex meanwhile; the caller re-checks its condition.
  std::cv_status wait_until(std::condition_variable& cv,
                            std::chrono::steady_clock::time_point deadline) {
    return cv.wait_until(lock_, deadline);
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

// A mutex that a thread can wait for until a deadline, for objects whose
// calls each carry one (PostgresStash: call_timeout_ms covers waiting for
// another thread's call). It replaces std::timed_mutex: libstdc++ 12
// implements timed_mutex::try_lock_until(steady_clock) with
// pthread_mutex_clocklock, which g++ 12's ThreadSanitizer does not
// intercept, so TSan never saw those locks taken and reported every release
// as "unlock of an unlocked mutex" (and races on what it guards). Here "held"
// is a flag behind a std::mutex, waited for on a condition variable
// (pthread_cond_clockwait, which libtsan does intercept).
class STASH_CAPABILITY("mutex") TimedMutex {
 public:
  TimedMutex() = default;
  TimedMutex(const TimedMutex&) = delete;
  TimedMutex& operator=(const TimedMutex&) = delete;

  // Takes the mutex, waiting as long as it takes.
  void lock() STASH_ACQUIRE() STASH_NO_THREAD_SAFETY_ANALYSIS {
    std::unique_lock<std::mutex> guard(mutex_);
    released_.wait(guard, [this] { return !held_; });
    held_ = true;
  }

  // Takes the mutex if it is free by `deadline`; false (not taken) if
  // another thread still held it then. time_point::max() waits for ever.
  bool try_lock_until(std::chrono::steady_clock::time_point deadline)
      STASH_TRY_ACQUIRE(true) STASH_NO_THREAD_SAFETY_ANALYSIS {
    std::unique_lock<std::mutex> guard(mutex_);
    const auto free = [this] { return !held_; };
    if (deadline == std::chrono::steady_clock::time_point::max()) {
      released_.wait(guard, free);
    } else if (!released_.wait_until(guard, deadline, free)) {
      return false;
    }
    held_ = true;
    return true;
  }

  void unlock() STASH_RELEASE() STASH_NO_THREAD_SAFETY_ANALYSIS {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      held_ = false;
    }
    released_.notify_one();
  }

  // Tells the analysis that the calling thread holds the mutex, in code that
  // runs only inside a holder's scope but that the analysis cannot follow
  // there (a callback the holder invokes). Checks only that some thread
  // holds it.
  void assert_held() const STASH_ASSERT_CAPABILITY(this) STASH_NO_THREAD_SAFETY_ANALYSIS {
    std::lock_guard<std::mutex> guard(mutex_);
    if (!held_) std::terminate();
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable released_;
  bool held_ = false;  // guarded by mutex_ (a std::mutex: not annotated)
};

// Releases a TimedMutex the caller has taken (lock() or a successful
// try_lock_until) when it goes out of scope.
class STASH_SCOPED_CAPABILITY TimedMutexRelease {
 public:
  explicit TimedMutexRelease(TimedMutex& mutex) STASH_REQUIRES(mutex) : mutex_(mutex) {}
  ~TimedMutexRelease() STASH_RELEASE() { mutex_.unlock(); }
  TimedMutexRelease(const TimedMutexRelease&) = delete;
  TimedMutexRelease& operator=(const TimedMutexRelease&) = delete;

 private:
  TimedMutex& mutex_;
};

}  // namespace stash

#endif  // STASH_MUTEX_H_
