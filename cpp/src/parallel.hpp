// How the CPU drivers run their loops: OpenMP over independent units of work (tiles, rows),
// stopping early on request (Ctrl-C) and carrying exceptions out of the parallel region (one
// escaping it would call std::terminate and kill the process).
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace roundoff {

// A request to stop a long kernel. The thread that started the kernel calls poll() between
// units of work; at most every kInterval it asks `ask` (the bindings: are Python signals
// pending?). Once that says yes, requested() holds, every thread skips its remaining units, and
// the kernel returns with its output incomplete: the caller discards it.
class Stop {
 public:
  using Ask = bool (*)();
  Stop() = default;
  explicit Stop(Ask ask) : ask_(ask), last_(Clock::now()) {}
  Stop(const Stop&) = delete;
  Stop& operator=(const Stop&) = delete;

  bool requested() const { return requested_.load(std::memory_order_relaxed); }

  // The starting thread only (OpenMP thread 0).
  void poll() {
    if (ask_ == nullptr || requested()) return;
    const Clock::time_point now = Clock::now();
    if (now - last_ < kInterval) return;
    last_ = now;
    if (ask_()) requested_.store(true, std::memory_order_relaxed);
  }

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kInterval{25};
  Ask ask_ = nullptr;
  Clock::time_point last_{};
  std::atomic<bool> requested_{false};
};

inline int thread_index() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

// body(unit, thread) for every unit in [0, units) on `threads` threads, thread in
// [0, threads). The schedule is static, so which thread runs a unit never depends on timing.
// Thread 0 is the calling thread; it polls `stop` before each of its units. The first exception
// thrown by body is rethrown here, after the region; units not started by then are skipped, as
// they are once a stop is requested.
template <class Body>
void parallel_for(int64_t units, int threads, Stop& stop, Body body) {
  std::exception_ptr error;
  std::atomic<bool> failed{false};
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
  for (int64_t u = 0; u < units; ++u) {
    if (failed.load(std::memory_order_relaxed) || stop.requested()) continue;
    const int t = thread_index();
    if (t == 0) stop.poll();
    try {
      body(u, t);
    } catch (...) {
#pragma omp critical(roundoff_parallel_for_error)
      if (!error) error = std::current_exception();
      failed.store(true, std::memory_order_relaxed);
    }
  }
  if (error) std::rethrow_exception(error);
}

// Threads for `units` units of work: one when there are fewer than `min_units` (forking would
// cost more than it saves), else `requested`, at most one per unit.
inline int threads_for(int64_t units, int64_t min_units, int requested) {
  if (units < min_units || requested < 2) return 1;
  return int(units < requested ? units : requested);
}

}  // namespace roundoff
