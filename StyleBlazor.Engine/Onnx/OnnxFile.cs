using System.Buffers;
using Google.Protobuf;
using Microsoft.Win32.SafeHandles;
using Onnx;

namespace StyleBlazor.Engine.Onnx;

/// <summary>
/// An ONNX file whose initializers' elements are kept out of protobuf's parse. Protobuf would copy each initializer's
/// packed <c>float_data</c> into a growing managed array, which the loader then copied twice more on the way to a
/// tensor: for the embedded ResNet18's 64 MB that was most of the CLI's second before its first step. Here protobuf
/// parses a copy of the model without those fields (a few kilobytes), and each tensor's elements are read from the file
/// straight into its storage (<see cref="ReadElements"/>). Read, not mapped: a file cut short while it loads (a new
/// model copied over it) is then an error naming it, not a SIGBUS that ends the server.
/// </summary>
sealed class OnnxFile : IDisposable
{
    // Field numbers in onnx.proto3.
    const int ModelGraph = 7, GraphInitializer = 5, TensorFloatData = 4, TensorRawData = 9;
    const int WireVarint = 0, WireFixed64 = 1, WireLengthDelimited = 2, WireFixed32 = 5;

    /// <summary>Where an initializer's elements lie in the file, little-endian as both raw_data and packed float_data store them.</summary>
    readonly record struct ElementBytes(long Offset, int Length, bool FromFloatData);

    readonly string _path;
    readonly SafeFileHandle _handle;
    readonly long _length;
    readonly List<ElementBytes?> _elements = [];
    // The structure between the elements is read through this window; the elements themselves never pass through it.
    readonly byte[] _window = new byte[64 * 1024];
    long _windowStart;
    int _windowLength;

    OnnxFile(string path, SafeFileHandle handle, long length)
    {
        _path = path;
        _handle = handle;
        _length = length;
    }

    /// <summary>The model without its initializers' elements; see <see cref="ReadElements"/>.</summary>
    public ModelProto Model { get; private set; } = null!;

    public static OnnxFile Open(string path)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        var file = new OnnxFile(path, handle, RandomAccess.GetLength(handle));
        try
        {
            if (file._length is 0 or > int.MaxValue)
                throw new InvalidDataException($"'{path}' is not a readable ONNX model: " +
                    (file._length == 0 ? "the file is empty." : $"at {file._length} bytes it is over protobuf's 2 GiB limit."));
            file.Model = ModelProto.Parser.ParseFrom(file.WithoutElements());
            if (file.Model.Graph is { } graph && graph.Initializer.Count != file._elements.Count)
                throw new InvalidDataException($"'{path}' is not a readable ONNX model: its graph holds {file._elements.Count} initializers, protobuf read {graph.Initializer.Count}.");
            return file;
        }
        catch (InvalidProtocolBufferException e)
        {
            file.Dispose();
            throw new InvalidDataException($"'{path}' is not a readable ONNX model: {e.Message}", e);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The size in bytes of the elements of <c>Model.Graph.Initializer[index]</c> as the file stores them (its raw_data,
    /// or its packed float_data when <see cref="TensorProto.DataType"/> is float), or null when protobuf parsed them itself.
    /// </summary>
    public int? ElementByteCount(int index, TensorProto proto)
    {
        if (_elements[index] is not { } at) return null;
        if (at.FromFloatData && (TensorProto.Types.DataType)proto.DataType != TensorProto.Types.DataType.Float)
            throw new InvalidDataException($"Tensor '{proto.Name}' in '{_path}' holds float_data but has element type {(TensorProto.Types.DataType)proto.DataType}.");
        return at.Length;
    }

    /// <summary>Reads the elements of <c>Model.Graph.Initializer[index]</c> into <paramref name="destination"/>, which is <see cref="ElementByteCount"/> long.</summary>
    public void ReadElements(int index, Span<byte> destination)
    {
        var at = _elements[index] ?? throw new InvalidOperationException($"Initializer {index} of '{_path}' was parsed by protobuf.");
        ReadExactly(destination[..at.Length], at.Offset);
    }

    /// <summary>The file with the graph's initializers stripped of float_data and raw_data, their places recorded in order.</summary>
    byte[] WithoutElements()
    {
        var model = new ArrayBufferWriter<byte>(64 * 1024);
        foreach (var field in Fields(0, _length))
        {
            if (field.Number != ModelGraph || field.Wire != WireLengthDelimited)
            {
                Copy(model, field);
                continue;
            }
            var graph = new ArrayBufferWriter<byte>(64 * 1024);
            foreach (var graphField in Fields(field.Payload, field.End))
            {
                if (graphField.Number != GraphInitializer || graphField.Wire != WireLengthDelimited)
                {
                    Copy(graph, graphField);
                    continue;
                }
                var tensor = new ArrayBufferWriter<byte>(256);
                var fields = Fields(graphField.Payload, graphField.End);
                // A tensor with both raw_data and float_data, or a packed field written in pieces (which protobuf
                // joins), is rare and left to protobuf whole.
                var data = fields.Where(f => f.Wire == WireLengthDelimited && f.Number is TensorFloatData or TensorRawData).ToList();
                ElementBytes? elements = data is [var only]
                    ? new ElementBytes(only.Payload, checked((int)(only.End - only.Payload)), only.Number == TensorFloatData)
                    : null;
                foreach (var tensorField in fields)
                    if (elements is null || !data.Contains(tensorField))
                        Copy(tensor, tensorField);
                _elements.Add(elements);
                WriteLengthDelimited(graph, GraphInitializer, tensor.WrittenSpan);
            }
            WriteLengthDelimited(model, ModelGraph, graph.WrittenSpan);
        }
        return model.WrittenSpan.ToArray();
    }

    readonly record struct Field(int Number, int Wire, long Start, long Payload, long End);

    /// <summary>The fields of the message between <paramref name="start"/> and <paramref name="end"/>, by protobuf's wire format.</summary>
    List<Field> Fields(long start, long end)
    {
        var fields = new List<Field>();
        var position = start;
        while (position < end)
        {
            var fieldStart = position;
            var tag = ReadVarint(ref position, end);
            var (number, wire) = ((int)(tag >> 3), (int)(tag & 7));
            var payload = position;
            switch (wire)
            {
                case WireVarint: ReadVarint(ref position, end); break;
                case WireFixed64: position += 8; break;
                case WireFixed32: position += 4; break;
                case WireLengthDelimited:
                    var length = ReadVarint(ref position, end);
                    payload = position;
                    position += (long)length;
                    break;
                default:
                    throw new InvalidDataException($"'{_path}' is not a readable ONNX model: field {number} at byte {fieldStart} has wire type {wire}, which ONNX does not use.");
            }
            if (position > end || number == 0)
                throw new InvalidDataException($"'{_path}' is not a readable ONNX model: the message at byte {start} is cut short or corrupt at byte {fieldStart}.");
            fields.Add(new Field(number, wire, fieldStart, payload, position));
        }
        return fields;
    }

    ulong ReadVarint(ref long position, long end)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64 && position < end; shift += 7)
        {
            var b = ByteAt(position++);
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new InvalidDataException($"'{_path}' is not a readable ONNX model: a varint at byte {position} is cut short or too long.");
    }

    void Copy(IBufferWriter<byte> to, Field field)
    {
        var length = checked((int)(field.End - field.Start));
        ReadExactly(to.GetSpan(length)[..length], field.Start);
        to.Advance(length);
    }

    byte ByteAt(long position)
    {
        if (position < _windowStart || position >= _windowStart + _windowLength)
        {
            _windowStart = position;
            _windowLength = RandomAccess.Read(_handle, _window, position);
            if (_windowLength == 0) throw CutShort(position);
        }
        return _window[position - _windowStart];
    }

    void ReadExactly(Span<byte> destination, long offset)
    {
        while (destination.Length > 0)
        {
            var read = RandomAccess.Read(_handle, destination, offset);
            if (read == 0) throw CutShort(offset);
            destination = destination[read..];
            offset += read;
        }
    }

    // The length read at the start is what the structure was checked against; a shorter file now was cut while loading.
    InvalidDataException CutShort(long position) =>
        new($"'{_path}' is not a readable ONNX model: it ends at byte {position}, before its {_length} bytes (was it replaced while it loaded?).");

    static void WriteLengthDelimited(IBufferWriter<byte> to, int number, ReadOnlySpan<byte> payload)
    {
        WriteVarint(to, (ulong)number << 3 | WireLengthDelimited);
        WriteVarint(to, (ulong)payload.Length);
        to.Write(payload);
    }

    static void WriteVarint(IBufferWriter<byte> to, ulong value)
    {
        Span<byte> bytes = stackalloc byte[10];
        var count = 0;
        for (; value >= 0x80; value >>= 7) bytes[count++] = (byte)(value | 0x80);
        bytes[count++] = (byte)value;
        to.Write(bytes[..count]);
    }

    public void Dispose() => _handle.Dispose();
}
