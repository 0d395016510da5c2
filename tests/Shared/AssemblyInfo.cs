using System.Diagnostics.CodeAnalysis;

[assembly: SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Scope = "namespace", Target = "~N:FraudShield.Tests.Shared", Justification = "The test helpers folder is tests/Shared, as grpc-dotnet's test/Shared.")]
