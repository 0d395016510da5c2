using System.Text.Json;
using System.Text.Json.Serialization;

namespace FraudShield.RuleEngine.State;

/// <summary>
/// What recovers one FASTER store to one checkpoint: the index checkpoint (from the newest full checkpoint), the log
/// checkpoint, the version the checkpoint closed and how many bytes of the log checkpoint's delta file belonged to it.
/// An incremental checkpoint shares its log token with the snapshot it extends and appends to that snapshot's delta
/// file; recovering it cuts the delta file back to <see cref="DeltaBytes"/> first, so later deltas (written by a newer
/// checkpoint whose manifest never landed, or which was refused) are not applied.
/// </summary>
/// <param name="Index">Token of the index checkpoint.</param>
/// <param name="Log">Token of the log (snapshot) checkpoint.</param>
/// <param name="Version">The store version the checkpoint holds; -1 when unknown (checked only when known).</param>
/// <param name="DeltaBytes">Bytes of the log checkpoint's delta file it covers; -1 when unknown (the file is left as is).</param>
[JsonConverter(typeof(StoreCheckpointJsonConverter))]
public readonly record struct StoreCheckpoint(Guid Index, Guid Log, long Version = -1, long DeltaBytes = -1)
{
    /// <summary>A full checkpoint known only by its token (index and log together), as manifests named them before incremental checkpoints.</summary>
    public static StoreCheckpoint Full(Guid token) => new(token, token);
}

/// <summary>
/// Writes a <see cref="StoreCheckpoint"/> as <c>{"index", "log", "version", "delta_bytes"}</c>; reads that, or a bare
/// token string (a full checkpoint, as manifests carried it before incremental checkpoints existed).
/// </summary>
public sealed class StoreCheckpointJsonConverter : JsonConverter<StoreCheckpoint>
{
    /// <inheritdoc />
    public override StoreCheckpoint Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return StoreCheckpoint.Full(reader.GetGuid());
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("A store checkpoint is a token string or an object.");
        }

        Guid? index = null;
        Guid? log = null;
        long version = -1;
        long deltaBytes = -1;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "index":
                    index = reader.GetGuid();
                    break;
                case "log":
                    log = reader.GetGuid();
                    break;
                case "version":
                    version = reader.GetInt64();
                    break;
                case "delta_bytes":
                    deltaBytes = reader.GetInt64();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return index is { } i && log is { } l
            ? new StoreCheckpoint(i, l, version, deltaBytes)
            : throw new JsonException("A store checkpoint needs both \"index\" and \"log\".");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, StoreCheckpoint value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("index", value.Index);
        writer.WriteString("log", value.Log);
        writer.WriteNumber("version", value.Version);
        writer.WriteNumber("delta_bytes", value.DeltaBytes);
        writer.WriteEndObject();
    }
}
