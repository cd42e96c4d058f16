#include "divisions.h"

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gridbridge::platform {

extern const char kBuiltinDivisionsCsv[];  // divisions_data.cc (generated)

namespace {

std::string ProvinceOf(std::string_view code) { return std::string(code.substr(0, 2)) + "0000"; }
std::string CityOf(std::string_view code) { return std::string(code.substr(0, 4)) + "00"; }

// Placeholder "cities" grouping a municipality's districts or directly
// administered counties (市辖区, 县, 省直辖县级行政区划): not names people use.
bool IsPlaceholder(const std::string& name) {
  return name == "市辖区" || name == "县" || name.find("直辖") != std::string::npos;
}

}  // namespace

const Divisions& Divisions::Builtin() {
  static const Divisions* table = [] {
    auto parsed = Parse(kBuiltinDivisionsCsv);
    // The data is generated and checked by its unit test; a bad build is a
    // programming error, not a runtime condition.
    if (!parsed.ok()) std::abort();
    return new Divisions(std::move(*parsed));
  }();
  return *table;
}

absl::StatusOr<Divisions> Divisions::Parse(std::string_view csv) {
  Divisions out;
  int line_number = 0;
  bool header_seen = false;
  for (absl::string_view line : absl::StrSplit(absl::string_view(csv.data(), csv.size()), '\n')) {
    ++line_number;
    line = absl::StripTrailingAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    auto bad = [&](const std::string& what) {
      return absl::InvalidArgumentError("divisions line " + std::to_string(line_number) + ": " +
                                        what);
    };
    if (!header_seen) {
      if (line != "code,level,name") return bad("expected the header code,level,name");
      header_seen = true;
      continue;
    }
    std::vector<std::string> cols = absl::StrSplit(line, absl::MaxSplits(',', 2));
    if (cols.size() != 3) return bad("expected code,level,name");
    const std::string& code = cols[0];
    if (code.size() != 6 || code.find_first_not_of("0123456789") != std::string::npos) {
      return bad("code must be 6 digits");
    }
    Division d{code, DivisionLevel::kCounty, cols[2]};
    if (cols[1] == "province" && code.substr(2) == "0000") {
      d.level = DivisionLevel::kProvince;
    } else if (cols[1] == "city" && code.substr(4) == "00") {
      d.level = DivisionLevel::kCity;
    } else if (cols[1] != "county") {
      return bad("level must be province (xx0000), city (xxxx00) or county");
    }
    if (d.name.empty()) return bad("name is empty");
    if (!out.by_code_.emplace(code, std::move(d)).second) return bad("duplicate code " + code);
  }
  if (!header_seen) return absl::InvalidArgumentError("divisions: no header line");
  return out;
}

const Division* Divisions::Find(std::string_view code) const {
  auto it = by_code_.find(absl::string_view(code.data(), code.size()));
  return it == by_code_.end() ? nullptr : &it->second;
}

bool Divisions::Covers(std::string_view area, std::string_view code) const {
  const Division* a = Find(area);
  if (a == nullptr || Find(code) == nullptr) return false;
  switch (a->level) {
    case DivisionLevel::kProvince:
      return ProvinceOf(code) == a->code;
    case DivisionLevel::kCity:
      return CityOf(code) == a->code;
    case DivisionLevel::kCounty:
      return code == a->code;
  }
  return false;
}

std::string Divisions::Describe(std::string_view code) const {
  const Division* d = Find(code);
  if (d == nullptr) return std::string(code);
  std::string name;
  for (const std::string& parent : {ProvinceOf(code), CityOf(code)}) {
    const Division* p = Find(parent);
    if (p != nullptr && p != d && !IsPlaceholder(p->name)) name += p->name;
  }
  return name + d->name + " (" + d->code + ")";
}

}  // namespace gridbridge::platform
