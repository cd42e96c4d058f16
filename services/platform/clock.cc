#include "clock.h"

namespace gridbridge::platform {

const SystemClock& SystemClock::Instance() {
  static const SystemClock clock;
  return clock;
}

}  // namespace gridbridge::platform
