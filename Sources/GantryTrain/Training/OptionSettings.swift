import ArgumentParser

/// One setting's value as config.json and checkpoint headers hold it.
public enum SettingValue: Codable, Equatable, CustomStringConvertible {
    case bool(Bool)
    case integer(Int64)
    case unsigned(UInt64)
    case float(Float)
    case double(Double)
    case string(String)

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .integer(value) }
        else if let value = try? container.decode(UInt64.self) { self = .unsigned(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else { self = .string(try container.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .unsigned(let value): try container.encode(value)
        case .float(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        }
    }

    /// The value as a flag takes it (Float and Double print their shortest exact form).
    public var description: String {
        switch self {
        case .bool(let value): return String(value)
        case .integer(let value): return String(value)
        case .unsigned(let value): return String(value)
        case .float(let value): return String(value)
        case .double(let value): return String(value)
        case .string(let value): return value
        }
    }

    /// A property's value, or nil for an unset optional.
    init?(_ value: Any) {
        switch value {
        case let value as Bool: self = .bool(value)
        case let value as Int: self = .integer(Int64(value))
        case let value as UInt64: self = .unsigned(value)
        case let value as Float: self = .float(value)
        case let value as Double: self = .double(value)
        case let value as String: self = .string(value)
        case let value as any RawRepresentable<String>: self = .string(value.rawValue)
        default:
            // An Optional: its wrapped value, or nil.
            guard let wrapped = Mirror(reflecting: value).children.first?.value else { return nil }
            self.init(wrapped)
        }
    }
}

/// argument-parser's property wrappers, read generically (for `settings`).
private protocol ParsedProperty { var parsedValue: Any { get } }
extension Option: ParsedProperty { var parsedValue: Any { wrappedValue } }
extension Flag: ParsedProperty { var parsedValue: Any { wrappedValue } }

extension TrainingOptions {
    /// The options as config.json and checkpoint headers store them: each setting under its
    /// snake_case name (the flag without dashes); settings without a value are left out.
    public var settings: [String: SettingValue] {
        var settings: [String: SettingValue] = [:]
        for child in Mirror(reflecting: self).children {
            guard let label = child.label, let property = child.value as? ParsedProperty,
                  let value = SettingValue(property.parsedValue) else { continue }
            settings[Self.settingName(ofProperty: label)] = value
        }
        return settings
    }

    /// The flags that give these options: `--name=value` (so that a negative number is never
    /// mistaken for a flag), and `--name` or `--no-name` for on/off settings.
    public var arguments: [String] { Self.arguments(for: settings) }

    /// The same for stored settings, after checking them (unknown keys, wrong types) as
    /// `init(settings:source:)` does.
    public static func arguments(checking settings: [String: SettingValue], source: String) throws -> [String] {
        _ = try TrainingOptions(settings: settings, source: source)
        return arguments(for: settings)
    }

    /// Options from stored settings (config.json, a checkpoint header), through the same
    /// parser and checks as flags: a setting the file does not hold (one added since) takes
    /// its default. An unknown key or a value of the wrong type is an error naming the key.
    public init(settings: [String: SettingValue], source: String) throws {
        let known = Self.settingNames
        if let unknown = settings.keys.sorted().first(where: { !known.contains(Self.settingName(ofProperty: $0)) }) {
            throw GantryError("\(source): unknown training option '\(printable(unknown))'")
        }
        do {
            self = try Self.parse(Self.arguments(for: settings))
        } catch {
            // Name the setting at fault: the first one that does not parse alone.
            for key in settings.keys.sorted() {
                do {
                    _ = try Self.parse(Self.arguments(for: [key: settings[key]!]))
                } catch {
                    throw GantryError("\(source): training option '\(printable(key))': \(printable(Self.message(for: error), limit: 500))")
                }
            }
            throw GantryError("\(source): \(Self.message(for: error))")
        }
    }

    /// The training options of a configuration file: a flat JSON object of settings, or a
    /// run's config.json, whose `options` are taken without `out` (a run directory belongs
    /// to one run). An unknown key or a wrongly typed value is an error naming the key.
    public static func settings(ofConfigurationFile path: String) throws -> [String: SettingValue] {
        let bytes = try AtomicFile.read(path)
        struct RunConfiguration: Decodable { var options: [String: SettingValue] }
        if let run = try? JSONCoding.decode(RunConfiguration.self, from: bytes) {
            return run.options.filter { $0.key != "out" }
        }
        do {
            return try JSONCoding.decode([String: SettingValue].self, from: bytes)
        } catch {
            throw GantryError("--config \(path): not a JSON object of training options (a flat object such as {\"steps\": 500}, or a run's config.json)")
        }
    }

    /// Flags whose values differ between `self` and `other`, as "setting": "new value"
    /// ("(default)" when `other` leaves it unset).
    public func differences(to other: TrainingOptions) -> [String: String] {
        let old = settings, new = other.settings
        var changed: [String: String] = [:]
        for key in Set(old.keys).union(new.keys) where old[key] != new[key] && key != "out" {
            changed[key] = new[key]?.description ?? "(default)"
        }
        return changed
    }

    /// "checkEvery", "_checkEvery" or "check_every" → "check_every".
    static func settingName(ofProperty name: String) -> String {
        var result = ""
        for character in name.drop(while: { $0 == "_" }) {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// The names of all settings, from the property labels.
    private static var settingNames: Set<String> {
        Set(Mirror(reflecting: defaults).children.compactMap { $0.label.map(settingName(ofProperty:)) })
    }

    private static func arguments(for settings: [String: SettingValue]) -> [String] {
        settings.keys.sorted().map { key in
            let flag = settingName(ofProperty: key).replacing("_", with: "-")
            switch settings[key]! {
            case .bool(let on): return on ? "--\(flag)" : "--no-\(flag)"
            case let value: return "--\(flag)=\(value)"
            }
        }
    }
}
