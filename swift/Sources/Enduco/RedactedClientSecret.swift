/// The app's OAuth client secret, for `ClientOptions.clientSecret` (a backend; an app
/// distributed to users names `tokenRelayUrl` instead and has no secret). Write it as
/// `ClientSecret("…")` or a string literal: the generated `ClientSecret` is an alias of this type.
///
/// A type of its own so that printing the options, `dump`, or this value never shows the
/// secret: they show `ClientSecret([redacted])`. A string literal is a `ClientSecret`.
public struct RedactedClientSecret: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    let value: String

    public init(_ value: String) { self.value = value }

    public init(stringLiteral value: String) { self.value = value }

    public var description: String { "ClientSecret([redacted])" }

    public var debugDescription: String { description }

    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
